// Pure parts of the registry layer: references, endpoints, header parsers, manifest parsing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeReference, parseReference, normalizeRepository } from '../../server/src/registry/reference.ts';
import { registryBaseUrl } from '../../server/src/registry/endpoints.ts';
import { parseWwwAuthenticate } from '../../server/src/registry/auth.ts';
import { parseRateLimitHeader, parseRetryAfter } from '../../server/src/registry/http.ts';
import { computeDigest, nextLink, parseImageConfig, parseManifest, platformMatches, verifyDigest } from '../../server/src/registry/manifest.ts';
import { errorDetail } from '../../server/src/registry/distribution.ts';
import { Redactor, RegistryError } from '../../server/src/registry/errors.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('references', () => {
  test('normalises like the Docker CLI', () => {
    const cases: [string, string][] = [
      ['node', 'docker.io/library/node:latest'],
      ['node:20.11.1-alpine', 'docker.io/library/node:20.11.1-alpine'],
      ['library/node:20', 'docker.io/library/node:20'],
      ['docker.io/node:20', 'docker.io/library/node:20'],
      ['index.docker.io/library/node:20', 'docker.io/library/node:20'],
      ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
      ['ghcr.io/acme/app:1.0', 'ghcr.io/acme/app:1.0'],
      ['GHCR.io/acme/app', 'ghcr.io/acme/app:latest'],
      ['localhost/app', 'localhost/app:latest'],
      ['localhost:5000/a/b/c:v1', 'localhost:5000/a/b/c:v1'],
      ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
      [`node@${D}`, `docker.io/library/node@${D}`],
      [`node:20@${D}`, `docker.io/library/node:20@${D}`],
    ];
    for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
  });

  test('keeps tag and digest apart', () => {
    assert.deepEqual(parseReference(`localhost:5000/app:1.2@${D}`), { registry: 'localhost:5000', repository: 'app', tag: '1.2', digest: D });
    assert.deepEqual(parseReference('node', { defaultTag: false }), { registry: 'docker.io', repository: 'library/node' });
    assert.equal(normalizeRepository('node:20'), 'docker.io/library/node');
  });

  test('rejects malformed references with INVALID_REFERENCE', () => {
    for (const bad of ['', 'Node:20', 'node:', 'node@sha256:abc', `node@md5:${'a'.repeat(32)}`, 'a//b', 'node:-x', 'ghcr.io/', `x:${'t'.repeat(129)}`]) {
      assert.throws(() => parseReference(bad), (e: unknown) => e instanceof RegistryError && e.code === 'INVALID_REFERENCE', bad);
    }
  });
});

describe('endpoints', () => {
  test('Docker Hub, loopback over http, mapping wins', () => {
    assert.equal(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
    assert.equal(registryBaseUrl('ghcr.io'), 'https://ghcr.io');
    assert.equal(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(registryBaseUrl('reg.internal', { insecureRegistries: ['reg.internal'] }), 'http://reg.internal');
    assert.equal(registryBaseUrl('localhost:5000', { endpoints: { 'localhost:5000': 'http://127.0.0.1:1234/' } }), 'http://127.0.0.1:1234');
    assert.equal(registryBaseUrl('docker.io', { endpoints: { 'docker.io': 'https://mirror.example' } }), 'https://mirror.example');
  });
});

describe('header parsers', () => {
  test('WWW-Authenticate with several challenges and quoted commas', () => {
    const c = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull,push", Basic realm="x\\"y"');
    assert.deepEqual(c, [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/node:pull,push' } },
      { scheme: 'basic', params: { realm: 'x"y' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm=plain'), [{ scheme: 'basic', params: { realm: 'plain' } }]);
  });

  test('Retry-After as seconds or HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test('Docker Hub rate-limit headers', () => {
    assert.deepEqual(parseRateLimitHeader('100;w=21600'), { value: 100, windowSeconds: 21600 });
    assert.deepEqual(parseRateLimitHeader('0'), { value: 0 });
    assert.equal(parseRateLimitHeader('x'), undefined);
  });

  test('Link rel=next, relative or absolute', () => {
    assert.equal(nextLink('</v2/a/tags/list?last=t09&n=10>; rel="next"'), '/v2/a/tags/list?last=t09&n=10');
    assert.equal(nextLink('<https://r.example/v2/a/tags/list?n=1&last=b>; rel=next'), 'https://r.example/v2/a/tags/list?n=1&last=b');
    assert.equal(nextLink('</x>; rel="prev", </y>; rel="next"'), '/y');
    assert.equal(nextLink(undefined), undefined);
  });

  test('OCI error bodies and other bodies become short messages', () => {
    assert.equal(errorDetail(Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}')), 'MANIFEST_UNKNOWN: manifest unknown');
    assert.equal(errorDetail(Buffer.from('<html><body><h1>502 Bad Gateway</h1>\n</body></html>')), '502 Bad Gateway');
    assert.equal(errorDetail(Buffer.from('')), '');
  });
});

describe('manifests', () => {
  test('digest verification is of the exact bytes', () => {
    const a = Buffer.from('{"a":1}');
    const b = Buffer.from('{ "a": 1 }');
    verifyDigest(a, computeDigest(a), 'x');
    assert.throws(() => verifyDigest(b, computeDigest(a), 'x'), (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_MISMATCH');
  });

  test('schema 1 is refused, shape decides when mediaType is missing', () => {
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), undefined, 'm'), (e: unknown) => e instanceof RegistryError && e.code === 'UNSUPPORTED');
    const idx = parseManifest(Buffer.from(`{"schemaVersion":2,"manifests":[{"digest":"${D}","size":1,"mediaType":"x"}]}`), 'application/json', 'm');
    assert.equal(idx.kind, 'index');
    const m = parseManifest(Buffer.from(`{"schemaVersion":2,"config":{"digest":"${D}","size":1},"layers":[]}`), undefined, 'm');
    assert.equal(m.kind, 'manifest');
    assert.throws(() => parseManifest(Buffer.from('nope'), undefined, 'm'), (e: unknown) => e instanceof RegistryError && e.code === 'BAD_RESPONSE');
  });

  test('config without history or labels is still facts', () => {
    const c = parseImageConfig(Buffer.from('{"os":"linux","architecture":"arm","variant":"v7"}'), D, 'c');
    assert.deepEqual(c.fact, { digest: D, labels: {}, env: [], history: [] });
    assert.deepEqual(c.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  test('platform filters', () => {
    assert.equal(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'), true);
    assert.equal(platformMatches({ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'), false);
  });
});

test('redactor blanks every stored secret', () => {
  const r = new Redactor();
  r.add('hunter22', undefined, 'ab');
  assert.equal(r.redact('user hunter22 said ab'), 'user *** said ab');
});
