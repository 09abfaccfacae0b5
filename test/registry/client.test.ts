// The registry client against a real CNCF Distribution registry (no auth), with a pass-through proxy
// in front where requests need counting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../server/src/registry/index.ts';
import { registrySkipReason, seed, sha256, startRegistry, pushImage, imageConfig, type RunningRegistry, type SeedResult } from './support/registry.ts';
import { startFaultProxy, type FaultProxy } from './support/faultProxy.ts';
import { captureLog } from './support/net.ts';

const skip = registrySkipReason();
let reg: RunningRegistry;
let seeded: SeedResult;
let proxy: FaultProxy;
let tmp: string;
const clients: RegistryClient[] = [];

function client(options: RegistryClientOptions = {}): RegistryClient {
  const c = createRegistryClient({ cacheDir: false, engine: false, dockerConfig: false, retries: 0, ...options });
  clients.push(c);
  return c;
}

/** Requests the proxy forwarded since `from`, as `METHOD path`. */
function since(from: number): string[] {
  return proxy.records.slice(from).map((r) => `${r.method} ${r.path}`);
}

describe('registry client (no auth)', { skip }, () => {
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'plimsoll-client-'));
    reg = await startRegistry({ auth: 'none' });
    seeded = await seed(reg, { big: true });
    proxy = await startFaultProxy(reg.url);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.stop();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('single-platform Docker image: digest, layers, sizes, config facts', async () => {
    const f = await client().getImageFacts(`${reg.host}/acme/app:1.0`);
    assert.equal(f.error, undefined);
    assert.equal(f.reference, `${reg.host}/acme/app:1.0`);
    assert.equal(f.digest, seeded.app.digest);
    assert.equal(f.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(f.fromCache, false);
    assert.equal(f.manifests.length, 1);
    const m = f.manifests[0]!;
    assert.deepEqual(m.platform, { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(m.layers.map((l) => l.size), [1200, 34_567, 5000]);
    assert.equal(m.totalSize, 1200 + 34_567 + 5000);
    assert.deepEqual(m.layers.map((l) => l.digest), seeded.app.layers.map((l) => l.digest));
    const c = m.config!;
    assert.equal(c.digest, seeded.app.config.digest);
    assert.deepEqual(c.labels, seeded.app.labels);
    assert.ok(c.env.includes('NODE_VERSION=20.11.1'));
    assert.equal(c.user, 'node');
    assert.equal(c.history.length, 7);
    assert.equal(c.history.filter((h) => h.emptyLayer).length, 4);
    assert.equal(c.history.filter((h) => !h.emptyLayer).length, m.layers.length);
    assert.ok(c.history.some((h) => h.createdBy === 'RUN /bin/sh -c apk add --no-cache curl # buildkit' && h.comment === 'buildkit.dockerfile.v0'));
    assert.equal(f.attestations.length, 0);
  });

  test('OCI index: platforms, attestations linked to their subjects with predicate types', async () => {
    const f = await client().getImageFacts(`${reg.host}/acme/multi:1.0`);
    assert.equal(f.error, undefined);
    assert.equal(f.digest, seeded.multi.digest);
    assert.equal(f.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      f.manifests.map((m) => [m.digest, m.platform]),
      [
        [seeded.multi.amd64.digest, { os: 'linux', architecture: 'amd64' }],
        [seeded.multi.arm64.digest, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
      ],
    );
    assert.ok(f.manifests.every((m) => m.config !== undefined && m.totalSize === 2048 + 4096));
    assert.deepEqual(
      f.attestations.map((a) => [a.subjectDigest, a.digest, a.predicateTypes]),
      seeded.multi.attestations.map((a) => [a.subject, a.digest, a.predicateTypes]),
    );

    const arm = await client().getImageFacts(`${reg.host}/acme/multi:1.0`, { platforms: ['linux/arm64'] });
    assert.deepEqual(arm.manifests.map((m) => m.digest), [seeded.multi.arm64.digest]);
    assert.deepEqual(arm.attestations.map((a) => a.subjectDigest), [seeded.multi.arm64.digest]);
  });

  test('Docker manifest list with a variant', async () => {
    const f = await client().getImageFacts(`${reg.host}/acme/list:1.0`, { attestations: false });
    assert.equal(f.error, undefined);
    assert.equal(f.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.deepEqual(f.manifests.map((m) => m.platform), [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm', variant: 'v7' }]);
    assert.deepEqual(f.manifests.map((m) => m.mediaType), ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.v2+json']);
  });

  test('a 30 MiB layer: sizes from the manifest, nothing downloaded; a capped blob read aborts early', async () => {
    const start = proxy.records.length;
    const c = client();
    const f = await c.getImageFacts(`${proxy.host}/acme/big:1.0`);
    assert.equal(f.error, undefined);
    assert.equal(f.manifests[0]?.layers[0]?.size, 30 * 1024 * 1024);
    assert.equal(f.manifests[0]?.totalSize, 30 * 1024 * 1024 + 512);
    const bigLayer = seeded.big!.layers[0]!.digest;
    assert.ok(!since(start).some((r) => r.includes(bigLayer)), 'layers are never downloaded for facts');

    const before = proxy.records.length;
    await assert.rejects(c.readBlob(`${proxy.host}/acme/big`, bigLayer, { maxBytes: 1024 * 1024 }), (e: Error & { code?: string }) => e.code === 'TOO_LARGE');
    const blob = await c.readBlob(`${proxy.host}/acme/big`, bigLayer, { maxBytes: 64 * 1024 * 1024 });
    assert.equal(sha256(blob), bigLayer);
    assert.equal(proxy.records.length - before, 2);
  });

  test('tags: every page followed (relative and absolute Link URLs), semver tags listed', async () => {
    try {
      for (const absoluteLinks of [false, true]) {
        proxy.fault = (req) => (req.url?.includes('/tags/list') === true ? { kind: 'paginate', absoluteLinks } : undefined);
        const start = proxy.records.length;
        const many = await client({ tagPageSize: 10 }).listTags(`${proxy.host}/acme/many`);
        assert.equal(many.error, undefined);
        assert.deepEqual(many.tags, seeded.many.tags);
        assert.equal(many.repository, `${proxy.host}/acme/many`);
        assert.deepEqual(since(start), ['GET /v2/acme/many/tags/list?n=10', 'GET /v2/acme/many/tags/list?n=10&last=t09', 'GET /v2/acme/many/tags/list?n=10&last=t19']);
      }
      const capped = await client({ tagPageSize: 10, maxTagPages: 2 }).listTags(`${proxy.host}/acme/many`);
      assert.equal(capped.truncated, true);
      assert.equal(capped.tags.length, 20);
    } finally {
      proxy.fault = undefined;
    }
    const node = await client().listTags(`${reg.host}/acme/node`);
    assert.deepEqual([...node.tags].sort(), ['20.11.0', '20.11.1', '20.12.0-alpine', '21.0.0']);
    const c = client();
    for (const [tag, digest] of Object.entries(seeded.node.tags)) assert.equal((await c.getImageFacts(`${reg.host}/acme/node:${tag}`)).digest, digest);
  });

  test('not found, bad references and OCI error bodies are facts with errors, never throws', async () => {
    const c = client();
    const missingTag = await c.getImageFacts(`${reg.host}/acme/app:9.9.9`);
    assert.equal(missingTag.error?.code, 'NOT_FOUND');
    const missingRepo = await c.getImageFacts(`${reg.host}/acme/nope@sha256:${'0'.repeat(64)}`);
    assert.equal(missingRepo.error?.code, 'NOT_FOUND');
    assert.match(missingRepo.error?.message ?? '', /MANIFEST_UNKNOWN|NAME_UNKNOWN/);
    const bad = await c.getImageFacts('Not A Ref');
    assert.equal(bad.error?.code, 'INVALID_REFERENCE');
    const tags = await c.listTags(`${reg.host}/acme/nope`);
    assert.equal(tags.error?.code, 'NOT_FOUND');
    assert.match(tags.error?.message ?? '', /NAME_UNKNOWN/);
  });

  test('a registry name mapped to a loopback endpoint', async () => {
    const f = await client({ endpoints: { 'registry.test:5000': reg.url } }).getImageFacts('registry.test:5000/acme/app:1.0');
    assert.equal(f.reference, 'registry.test:5000/acme/app:1.0');
    assert.equal(f.digest, seeded.app.digest);
  });

  test('digestExists and tag-vs-pin: vanished pins are reported', async () => {
    const layers = [Buffer.from('doomed layer')];
    const doomed = await pushImage(reg, 'acme/doomed', ['1'], { format: 'oci', layers, config: imageConfig({ diffIds: [sha256(layers[0]!)] }) });
    const c = client();
    assert.equal(await c.digestExists(`${reg.host}/acme/doomed`, doomed.digest), true);
    const del = await fetch(`${reg.url}/v2/acme/doomed/manifests/${doomed.digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.equal(await client().digestExists(`${reg.host}/acme/doomed`, doomed.digest), false);
    assert.equal(await client().digestExists(`${reg.host}/acme/app`, `sha256:${'1'.repeat(64)}`), false);

    const pinned = await client().getImageFacts(`${reg.host}/acme/node:20.11.1@${seeded.node.tags['20.11.0']}`);
    assert.equal(pinned.digest, seeded.node.tags['20.11.0']);
    assert.equal(pinned.tagDigest, seeded.node.tags['20.11.1']);
  });

  test('collectFacts resolves each unique reference once', async () => {
    const start = proxy.records.length;
    const pin = `${proxy.host}/acme/node@${seeded.node.tags['21.0.0']}`;
    const facts = await client({ concurrency: 2 }).collectFacts([
      `${proxy.host}/acme/app:1.0`,
      `${proxy.host}/acme/app:1.0`,
      `${proxy.host}/acme/app`,
      pin,
      'Bad Ref',
    ]);
    assert.deepEqual([...facts.images.keys()].sort(), ['Bad Ref', `${proxy.host}/acme/app:1.0`, `${proxy.host}/acme/app:latest`, pin].sort());
    assert.equal(facts.images.get('Bad Ref')?.error?.code, 'INVALID_REFERENCE');
    assert.deepEqual([...facts.repositories.keys()].sort(), [`${proxy.host}/acme/app`, `${proxy.host}/acme/node`]);
    assert.deepEqual([...(facts.digestExists ?? new Map()).entries()], [[pin, true]]);
    const manifestGets = since(start).filter((r) => r.startsWith('GET /v2/acme/app/manifests/'));
    // app:1.0 and app:latest are the same manifest: fetched once, by digest.
    assert.deepEqual(manifestGets, [`GET /v2/acme/app/manifests/${seeded.app.digest}`]);
  });

  test('single-flight and the per-host concurrency limit', async () => {
    const c = client({ concurrencyPerHost: 2 });
    proxy.maxInFlight = 0;
    const start = proxy.records.length;
    const all = await Promise.all(Array.from({ length: 8 }, () => c.getImageFacts(`${proxy.host}/acme/multi:1.0`)));
    assert.ok(all.every((f) => f.digest === seeded.multi.digest && f.error === undefined));
    const reqs = since(start);
    assert.equal(reqs.filter((r) => r.startsWith('HEAD')).length, 1);
    assert.equal(new Set(reqs).size, reqs.length, `no request twice: ${reqs.join(', ')}`);
    assert.ok(proxy.maxInFlight <= 2, `at most 2 in flight, saw ${proxy.maxInFlight}`);
  });

  test('disk cache: reused across clients within the TTL, HEAD only after it, offline answers with age', async () => {
    const cacheDir = join(tmp, 'cache');
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const now = (): number => clock;
    const ref = `${proxy.host}/acme/multi:1.0`;
    const first = await client({ cacheDir, now }).getImageFacts(ref);
    assert.equal(first.fromCache, false);
    assert.ok(existsSync(join(cacheDir, 'registry-v1')));

    clock += 60_000;
    let start = proxy.records.length;
    const second = await client({ cacheDir, now }).getImageFacts(ref);
    assert.deepEqual(since(start), []);
    assert.equal(second.fromCache, true);
    assert.equal(second.fetchedAt, first.fetchedAt);
    assert.deepEqual({ ...second, fromCache: false }, first);

    clock += 60 * 60_000;
    start = proxy.records.length;
    const third = await client({ cacheDir, now, tagTtlMs: 10 * 60_000 }).getImageFacts(ref);
    assert.deepEqual(since(start), ['HEAD /v2/acme/multi/manifests/1.0']);
    assert.equal(third.fromCache, false);

    await client({ cacheDir, now }).listTags(`${proxy.host}/acme/node`);
    start = proxy.records.length;
    const off = client({ cacheDir, now, offline: true });
    const cached = await off.getImageFacts(ref);
    assert.equal(cached.fromCache, true);
    assert.equal(cached.fetchedAt, new Date(clock).toISOString());
    assert.equal(cached.manifests.length, 2);
    const tags = await off.listTags(`${proxy.host}/acme/node`);
    assert.equal(tags.fromCache, true);
    assert.equal(tags.tags.length, 4);
    const missing = await off.getImageFacts(`${proxy.host}/acme/app:1.0`);
    assert.equal(missing.error?.code, 'NOT_CACHED');
    assert.match(missing.error?.message ?? '', /not in the cache/);
    assert.equal((await off.listTags(`${proxy.host}/acme/app`)).error?.code, 'NOT_CACHED');
    assert.equal(await off.digestExists(`${proxy.host}/acme/app`, seeded.app.digest), undefined);
    assert.deepEqual(since(start), [], 'offline never touches the network');
  });

  test('a tampered disk cache entry is ignored and refetched', async () => {
    const cacheDir = join(tmp, 'tampered');
    const ref = `${reg.host}/acme/app:1.0`;
    await client({ cacheDir }).getImageFacts(ref);
    const file = join(cacheDir, 'registry-v1', 'content', 'sha256', seeded.app.digest.slice(7));
    writeFileSync(file, '{"schemaVersion":2,"layers":[]}');
    const log = captureLog();
    const offline = await client({ cacheDir, offline: true, log: log.log }).getImageFacts(ref);
    assert.equal(offline.error?.code, 'NOT_CACHED');
    assert.match(log.lines.join('\n'), /does not match its digest/);
    const online = await client({ cacheDir }).getImageFacts(ref);
    assert.equal(online.error, undefined);
    assert.equal(online.manifests[0]?.layers.length, 3);
    assert.ok(readdirSync(join(cacheDir, 'registry-v1', 'content', 'sha256')).includes(seeded.app.digest.slice(7)));
  });
});

describe('cross-check with skopeo', { skip: skip || (!existsSync('/usr/bin/skopeo') && 'skopeo not installed') }, () => {
  let direct: RunningRegistry;
  let s: SeedResult;
  before(async () => {
    direct = await startRegistry({ auth: 'none' });
    s = await seed(direct);
  });
  after(async () => {
    await direct?.stop();
  });

  function raw(ref: string): Buffer {
    return execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { maxBuffer: 8 * 1024 * 1024 });
  }

  test('digests and layer sizes agree with skopeo for a manifest, an OCI index and a manifest list', async () => {
    const c = createRegistryClient({ cacheDir: false, engine: false, dockerConfig: false });
    try {
      for (const repo of ['acme/app', 'acme/multi', 'acme/list']) {
        const ref = `${direct.host}/${repo}:1.0`;
        const facts = await c.getImageFacts(ref);
        const top = raw(ref);
        assert.equal(facts.digest, sha256(top), repo);
        for (const m of facts.manifests) {
          const child: Buffer = m.digest === facts.digest ? top : raw(`${direct.host}/${repo}@${m.digest}`);
          assert.equal(sha256(child), m.digest);
          const layers = (JSON.parse(child.toString('utf8')) as { layers: { size: number; digest: string }[] }).layers;
          assert.deepEqual(m.layers.map((l) => [l.digest, l.size]), layers.map((l) => [l.digest, l.size]), `${repo} ${m.digest}`);
        }
      }
      assert.ok(s.app.digest);
    } finally {
      await c.close();
    }
  });
});
