// Policies extended by URL: fetched from loopback HTTP servers, cached, verified against their pin,
// and loaded through the policy loader with the error at the `extends` entry when something is wrong.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPolicyFetcher, readCachedPolicy, type PolicyFetcher, type PolicyFetchOptions } from '../../server/src/registry/policyFetch.ts';
import { integrityOf } from '../../server/src/policy/integrity.ts';
import { loadPolicy, loadPolicyAsync } from '../../server/src/policy/load.ts';
import { at } from '../policy/helpers.ts';

const ORG = 'registries:\n  trusted: [docker.io, "*.acme.internal"]\npinning:\n  level: digest\nlocked: [registries.trusted, pinning.level]\n';
const ORG_PIN = integrityOf(ORG);
const DAY = 86_400_000;

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
}

interface Origin {
  server: Server;
  base: string;
  hits: Hit[];
}

/** A loopback server; `route` answers by path. */
async function origin(route: (path: string, res: ServerResponse) => void): Promise<Origin> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    hits.push({ path: req.url ?? '', headers: req.headers });
    route(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { server, base: `http://127.0.0.1:${port}`, hits };
}

let main: Origin;
let other: Origin;
let tmp: string;
const fetchers: PolicyFetcher[] = [];

function fetcher(options: PolicyFetchOptions = {}): PolicyFetcher {
  const f = createPolicyFetcher({ cacheDir: join(tmp, 'cache'), timeoutMs: 2_000, ...options });
  fetchers.push(f);
  return f;
}

function localPolicy(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const remoteEntry = (url: string, pin: string): string => `extends:\n  - url: ${url}\n    integrity: ${pin}\n`;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'plimsoll-policy-fetch-'));
  other = await origin((path, res) => {
    if (path === '/org.yaml') res.end(ORG);
    else res.writeHead(404).end();
  });
  main = await origin((path, res) => {
    switch (path) {
      case '/org.yaml':
      case '/org-again.yaml':
        res.setHeader('content-type', 'application/yaml');
        res.end(ORG);
        return;
      case '/changed.yaml':
        res.end(`${ORG}# changed upstream\n`);
        return;
      case '/slow.yaml':
        // Headers and then nothing: only the deadline ends this.
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.write('pinning:\n');
        return;
      case '/huge.yaml':
        res.writeHead(200, { 'content-length': String(2_000_000) });
        res.end('#'.repeat(2_000_000));
        return;
      case '/huge-chunked.yaml': {
        res.writeHead(200);
        const chunk = `#${'x'.repeat(65_535)}`;
        for (let i = 0; i < 40; i++) res.write(chunk);
        res.end();
        return;
      }
      case '/elsewhere.yaml':
        res.writeHead(302, { location: `${other.base}/org.yaml` }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
});

after(async () => {
  await Promise.all(fetchers.map((f) => f.close()));
  main.server.closeAllConnections();
  other.server.closeAllConnections();
  await Promise.all([main, other].map((o) => new Promise((resolve) => o.server.close(resolve))));
  rmSync(tmp, { recursive: true, force: true });
});

describe('fetching a pinned policy', () => {
  test('fetched once, applied with its locks, then served from the cache without a request', async () => {
    const url = `${main.base}/org.yaml`;
    const before = main.hits.length;
    const first = await fetcher().fetch(url, ORG_PIN);
    assert.ok('bytes' in first && !first.fromCache);
    assert.equal(main.hits.length, before + 1);
    assert.equal(main.hits.at(-1)?.headers.authorization, undefined);

    const repo = localPolicy('repo.yaml', `${remoteEntry(url, ORG_PIN)}pinning:\n  level: tag\n`);
    const loaded = await loadPolicyAsync(repo, { fetchRemote: fetcher().fetch });
    assert.deepEqual(loaded.remote.map((r) => [r.url, r.fromCache]), [[url, true]]);
    assert.equal(main.hits.length, before + 1, 'a pinned policy in the cache is not fetched again');
    assert.deepEqual(loaded.policy.files, [url, repo]);
    assert.deepEqual(loaded.policy.trustedRegistries, ['docker.io', '*.acme.internal']);
    // The local file tries to loosen the locked level: an error there, and digest stays.
    assert.equal(loaded.policy.pinning.level, 'digest');
    assert.deepEqual(loaded.errors.map((e) => [e.file, e.code, e.line, e.column]), [[repo, 'locked', 5, 3]]);
  });

  test('offline: served from the cache with its age; not cached is an error at the extends entry', async () => {
    const url = `${main.base}/org-again.yaml`;
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    await fetcher({ now: () => t0 }).fetch(url, ORG_PIN);
    const hits = main.hits.length;
    const offline = fetcher({ offline: true, now: () => t0 + 3 * DAY });
    const answer = await offline.fetch(url, ORG_PIN);
    assert.ok('bytes' in answer);
    assert.equal(answer.fromCache, true);
    assert.equal(answer.fetchedAt, t0);
    assert.equal(main.hits.length, hits);

    const missingUrl = `${main.base}/never-fetched.yaml`;
    const text = remoteEntry(missingUrl, ORG_PIN);
    const repo = localPolicy('offline.yaml', text);
    const loaded = await loadPolicyAsync(repo, { fetchRemote: offline.fetch });
    assert.deepEqual(loaded.errors.map((e) => [e.code, e.line, e.column]), [['extends-fetch', at(text, 'url:').line, at(text, 'url:').column]]);
    assert.equal(main.hits.length, hits, 'offline never touches the network');
  });

  test('integrity mismatch: refused at the extends entry, not applied, not cached', async () => {
    const url = `${main.base}/changed.yaml`;
    const text = `pinning:\n  level: none\n${remoteEntry(url, ORG_PIN)}`;
    const repo = localPolicy('mismatch.yaml', text);
    const loaded = await loadPolicyAsync(repo, { fetchRemote: fetcher().fetch });
    const p = at(text, 'url:');
    assert.deepEqual(loaded.errors.map((e) => [e.file, e.code, e.line, e.column]), [[repo, 'extends-integrity', p.line, p.column]]);
    assert.deepEqual(loaded.policy.files, [repo]);
    assert.equal(loaded.policy.pinning.level, 'none');
    const answer = await fetcher({ offline: true }).fetch(url, ORG_PIN);
    assert.ok('error' in answer, 'mismatching bytes are never cached');
  });

  test('the editor reads the cache synchronously, with no fetcher and no network', async () => {
    const url = `${main.base}/org.yaml`;
    const dir = join(tmp, 'sync-cache');
    await fetcher({ cacheDir: dir }).fetch(url, ORG_PIN);
    const hits = main.hits.length;
    assert.equal(readCachedPolicy(url, integrityOf('other'), { cacheDir: dir }), undefined);
    const repo = localPolicy('sync.yaml', remoteEntry(url, ORG_PIN));
    const loaded = loadPolicy(repo, { readRemote: (u, i) => readCachedPolicy(u, i, { cacheDir: dir }) });
    assert.deepEqual(loaded.errors, []);
    assert.deepEqual(loaded.remote.map((r) => [r.url, r.fromCache]), [[url, true]]);
    assert.equal(loaded.policy.pinning.level, 'digest');
    assert.equal(main.hits.length, hits);
  });

  test('a tampered cache entry is ignored and fetched again', async () => {
    const dir = join(tmp, 'tamper');
    const url = `${main.base}/org.yaml`;
    await fetcher({ cacheDir: dir }).fetch(url, ORG_PIN);
    const file = join(dir, 'policy-v1', readdirSync(join(dir, 'policy-v1'))[0]!);
    writeFileSync(file, JSON.stringify({ url, integrity: ORG_PIN, fetchedAt: 1, body: Buffer.from('pinning:\n  level: none\n').toString('base64') }));
    const hits = main.hits.length;
    const answer = await fetcher({ cacheDir: dir }).fetch(url, ORG_PIN);
    assert.ok('bytes' in answer && !answer.fromCache);
    assert.equal(main.hits.length, hits + 1);
  });

  test('a server that stalls is cut off at the deadline, once per run however many policies extend it', async () => {
    const started = Date.now();
    const slow = fetcher({ timeoutMs: 300 });
    const before = main.hits.filter((h) => h.path === '/slow.yaml').length;
    const [answer, again] = await Promise.all([slow.fetch(`${main.base}/slow.yaml`, ORG_PIN), slow.fetch(`${main.base}/slow.yaml`, ORG_PIN)]);
    assert.ok('error' in answer);
    assert.equal(answer.code, 'fetch');
    assert.equal(again, answer);
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    // One retry inside the deadline at most; the second caller shares the first one's answer.
    assert.ok(main.hits.filter((h) => h.path === '/slow.yaml').length - before <= 2);
    assert.deepEqual(await slow.fetch(`${main.base}/slow.yaml`, ORG_PIN), answer);
  });

  test('an oversized policy is refused, whether or not it declares its length', async () => {
    for (const path of ['/huge.yaml', '/huge-chunked.yaml']) {
      const answer = await fetcher().fetch(`${main.base}${path}`, ORG_PIN);
      assert.ok('error' in answer, path);
      assert.equal(answer.code, 'fetch');
    }
  });

  test('credentials go only to a listed host, and never across a redirect to another origin', async () => {
    const credentials = (host: string) => Promise.resolve(host === new URL(main.base).host ? { username: 'ci', password: 's3cret-policy-pass' } : undefined);
    const listed = fetcher({ cacheDir: false, credentialHosts: [new URL(main.base).host], credentials });
    const mainHits = main.hits.length;
    const otherHits = other.hits.length;
    const answer = await listed.fetch(`${main.base}/elsewhere.yaml`, ORG_PIN);
    assert.ok('bytes' in answer);
    assert.match(main.hits[mainHits]?.headers.authorization ?? '', /^Basic /);
    assert.equal(other.hits.length, otherHits + 1);
    assert.equal(other.hits[otherHits]?.headers.authorization, undefined);

    // A host not listed gets no credentials, even when a source has some for it.
    const unlisted = fetcher({ cacheDir: false, credentials: () => Promise.resolve({ username: 'ci', password: 'nope-nope' }) });
    await unlisted.fetch(`${main.base}/org.yaml`, ORG_PIN);
    assert.equal(main.hits.at(-1)?.headers.authorization, undefined);
  });

  test('plain http to a non-loopback host and a malformed pin are refused without a request', async () => {
    const hits = main.hits.length;
    const a = await fetcher().fetch('http://policies.example.com/org.yaml', ORG_PIN);
    const b = await fetcher().fetch(`${main.base}/org.yaml`, 'sha256-AAAA');
    assert.ok('error' in a && a.code === 'refused');
    assert.ok('error' in b && b.code === 'refused');
    assert.equal(main.hits.length, hits);
  });

  test('allowRemote false (an untrusted workspace) refuses URLs without calling the fetcher', async () => {
    const text = remoteEntry(`${main.base}/org.yaml`, ORG_PIN);
    const repo = localPolicy('untrusted.yaml', text);
    let called = 0;
    const loaded = await loadPolicyAsync(repo, {
      allowRemote: false,
      fetchRemote: () => {
        called++;
        return Promise.resolve({ error: 'no', code: 'fetch' });
      },
    });
    assert.equal(called, 0);
    assert.deepEqual(loaded.errors.map((e) => [e.code, e.line, e.column]), [['extends-fetch', at(text, 'url:').line, at(text, 'url:').column]]);
  });
});
