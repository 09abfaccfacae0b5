// Safety under faults: a proxy in front of a real (htpasswd) registry stalls, throttles, fails,
// truncates, bloats, corrupts and redirects; the client must answer clearly and leak nothing.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../server/src/registry/index.ts';
import type { ImageFacts } from '../../server/src/core/facts.ts';
import { registrySkipReason, seed, startRegistry, type RunningRegistry, type SeedResult } from './support/registry.ts';
import { startBlobServer, startFaultProxy, type BlobServer, type Fault, type FaultProxy } from './support/faultProxy.ts';
import { captureLog, pollUntil } from './support/net.ts';

const skip = registrySkipReason('htpasswd');
const PASSWORD = 'fault-Suite-pa55word';
let reg: RunningRegistry;
let seeded: SeedResult;
let proxy: FaultProxy;
let cdn: BlobServer;
const clients: RegistryClient[] = [];
const logs = captureLog();
const outputs: string[] = [];

function client(options: RegistryClientOptions = {}): RegistryClient {
  const c = createRegistryClient({
    cacheDir: false,
    engine: false,
    credentials: { [proxy.host]: { username: 'alice', password: PASSWORD } },
    timeoutMs: 800,
    retries: 2,
    retryBaseMs: 20,
    maxRetryDelayMs: 2500,
    log: logs.log,
    ...options,
  });
  clients.push(c);
  return c;
}

async function facts(options: RegistryClientOptions = {}, ref = `${proxy.host}/acme/app:1.0`): Promise<ImageFacts> {
  const f = await client(options).getImageFacts(ref);
  outputs.push(JSON.stringify(f));
  return f;
}

const manifestPath = (): string => `/v2/acme/app/manifests/${seeded.app.digest}`;
const configPath = (): string => `/v2/acme/app/blobs/${seeded.app.config.digest}`;

/** Applies `fault` to the first `times` requests for `path` (GET only). */
function inject(path: string, fault: Fault, times = Infinity): void {
  let left = times;
  proxy.fault = (req) => {
    if (req.method !== 'GET' || req.url !== path || left <= 0) return undefined;
    left--;
    return fault;
  };
}

function hits(path: string, from: number): number {
  return proxy.records.slice(from).filter((r) => r.method === 'GET' && r.path === path).length;
}

describe('faults between client and registry', { skip }, () => {
  before(async () => {
    reg = await startRegistry({ auth: 'htpasswd', users: { alice: PASSWORD } });
    seeded = await seed(reg);
    proxy = await startFaultProxy(reg.url);
    cdn = await startBlobServer();
  });

  beforeEach(() => {
    if (proxy !== undefined) proxy.fault = undefined;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([proxy?.stop(), cdn?.stop()]);
    await reg?.stop();
  });

  test('a stalled answer hits the deadline (no retry of timeouts)', async () => {
    const start = proxy.records.length;
    inject(manifestPath(), { kind: 'stall' });
    const t0 = Date.now();
    const f = await facts();
    const elapsed = Date.now() - t0;
    assert.equal(f.error?.code, 'TIMEOUT');
    assert.match(f.error?.message ?? '', /within 800 ms/);
    assert.ok(elapsed >= 750 && elapsed < 3000, `elapsed ${elapsed} ms`);
    assert.equal(hits(manifestPath(), start), 1);
    await pollUntil('the proxy to see the client give up', async () => (proxy.records.at(-1)?.aborted === true ? true : undefined));
  });

  test('a body that stalls half-way hits the deadline too', async () => {
    inject(manifestPath(), { kind: 'stallBody' });
    const f = await facts();
    assert.equal(f.error?.code, 'TIMEOUT');
  });

  test('429 with Retry-After in seconds is waited for, then succeeds', async () => {
    const start = proxy.records.length;
    inject(manifestPath(), { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' }, 1);
    const t0 = Date.now();
    const f = await facts();
    assert.equal(f.error, undefined);
    assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After');
    assert.equal(hits(manifestPath(), start), 2);
  });

  test('429 with Retry-After as an HTTP date', async () => {
    const start = proxy.records.length;
    inject(manifestPath(), { kind: 'status', status: 429, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() } }, 1);
    const f = await facts();
    assert.equal(f.error, undefined);
    assert.equal(hits(manifestPath(), start), 2);
  });

  test('a Retry-After beyond the cap is not waited for: RATE_LIMITED at once', async () => {
    inject(manifestPath(), { kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const t0 = Date.now();
    const f = await facts();
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(f.error?.code, 'RATE_LIMITED');
    assert.match(f.error?.message ?? '', /retry after 3600 s/);
  });

  test('500s then success; persistent 503 gives up after the bounded retries', async () => {
    let start = proxy.records.length;
    inject(manifestPath(), { kind: 'status', status: 500, body: 'boom' }, 2);
    assert.equal((await facts()).error, undefined);
    assert.equal(hits(manifestPath(), start), 3);

    start = proxy.records.length;
    inject(manifestPath(), { kind: 'status', status: 503, body: '<html><h1>Service Unavailable</h1></html>' });
    const f = await facts();
    assert.equal(f.error?.code, 'REGISTRY_ERROR');
    assert.match(f.error?.message ?? '', /HTTP 503 .* after 3 attempts: Service Unavailable/);
    assert.equal(hits(manifestPath(), start), 3);
  });

  test('a non-JSON error page becomes a short readable message', async () => {
    inject(manifestPath(), { kind: 'status', status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>' });
    const f = await facts({ retries: 0 });
    assert.equal(f.error?.code, 'REGISTRY_ERROR');
    assert.match(f.error?.message ?? '', /HTTP 502 from 127\.0\.0\.1:\d+: 502 Bad Gateway nginx$/);
  });

  test('a transfer cut short is retried; cut every time it fails clearly', async () => {
    let start = proxy.records.length;
    inject(configPath(), { kind: 'truncate', keepBytes: 50, declareLength: true }, 1);
    assert.equal((await facts()).error, undefined);
    assert.equal(hits(configPath(), start), 2);

    start = proxy.records.length;
    inject(configPath(), { kind: 'truncate', keepBytes: 50, declareLength: true });
    const f = await facts();
    assert.equal(f.error?.code, 'NETWORK');
    assert.equal(hits(configPath(), start), 3);
  });

  test('a body cleanly framed but short is caught by the digest', async () => {
    inject(configPath(), { kind: 'truncate', keepBytes: 50, declareLength: false });
    const f = await facts();
    assert.equal(f.error?.code, 'DIGEST_MISMATCH');
  });

  test('an oversized body is cut off while streaming, or refused by its declared length', async () => {
    inject(manifestPath(), { kind: 'oversize', bytes: 64 * 1024 * 1024, declareLength: false });
    const f = await facts({ maxManifestBytes: 1024 * 1024 });
    assert.equal(f.error?.code, 'TOO_LARGE');
    const rec = await pollUntil('the oversized transfer to stop', async () => {
      const r = proxy.records.findLast((x) => x.fault === 'oversize');
      return r?.aborted === true ? r : undefined;
    });
    assert.ok(rec.sent < 16 * 1024 * 1024, `stopped early: ${rec.sent} bytes sent`);

    inject(manifestPath(), { kind: 'oversize', bytes: 64 * 1024 * 1024, declareLength: true });
    const g = await facts({ maxManifestBytes: 1024 * 1024 });
    assert.equal(g.error?.code, 'TOO_LARGE');
    assert.match(g.error?.message ?? '', /not downloaded/);
  });

  test('changed bytes are refused loudly, for manifests and configs', async () => {
    inject(manifestPath(), { kind: 'corrupt' });
    const f = await facts();
    assert.equal(f.error?.code, 'DIGEST_MISMATCH');
    assert.ok(f.error?.message.includes(`expected ${seeded.app.digest}, got sha256:`));
    assert.ok(logs.lines.some((l) => l.startsWith('error:') && l.includes('does not match its digest')));

    inject(configPath(), { kind: 'corrupt' });
    const g = await facts();
    assert.equal(g.error?.code, 'DIGEST_MISMATCH');
    assert.ok(g.error?.message.includes(seeded.app.config.digest));
  });

  test('a blob redirected to another origin is fetched without Authorization there', async () => {
    const original = Buffer.from(await (await fetch(`${reg.url}${configPath()}`, { headers: { authorization: reg.pushAuthorization('acme/app')! } })).arrayBuffer());
    cdn.serve('/blobs/config', original);
    cdn.serve('/blobs/wrong', original.subarray(1));
    const start = proxy.records.length;
    inject(configPath(), { kind: 'redirect', location: `${cdn.url}/blobs/config?sig=abc` });
    const f = await facts();
    assert.equal(f.error, undefined);
    assert.deepEqual(f.manifests[0]?.config?.labels, seeded.app.labels);
    const toRegistry = proxy.records.slice(start).filter((r) => r.path === configPath());
    assert.equal(toRegistry.length, 1);
    assert.match(String(toRegistry[0]?.headers.authorization), /^Basic /);
    assert.equal(cdn.records.length, 1);
    assert.equal(cdn.records[0]?.headers.authorization, undefined);

    inject(configPath(), { kind: 'redirect', location: `${cdn.url}/blobs/wrong` });
    const g = await facts();
    assert.equal(g.error?.code, 'DIGEST_MISMATCH');
    assert.ok(cdn.records.every((r) => r.headers.authorization === undefined));
  });

  test('an exhausted rate limit (ratelimit-remaining: 0) stops further pulls before they are sent', async () => {
    const start = proxy.records.length;
    proxy.fault = (req) => (req.method === 'HEAD' ? { kind: 'headers', headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' } } : undefined);
    const f = await facts();
    assert.equal(f.error?.code, 'RATE_LIMITED');
    assert.match(f.error?.message ?? '', /rate limit exhausted \(0 of 100 requests left per 21600 s\); stopped early/);
    assert.equal(proxy.records.slice(start).filter((r) => r.method === 'GET').length, 0);
  });

  test('a failing registry after the TTL: the stale cached answer is used, with a warning', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'plimsoll-stale-'));
    try {
      let clock = Date.now();
      const first = await facts({ cacheDir, now: () => clock });
      assert.equal(first.error, undefined);
      const c = client({ cacheDir, now: () => clock });
      outputs.push(JSON.stringify(await c.listTags(`${proxy.host}/acme/node`)));
      clock += 2 * 60 * 60_000;
      proxy.fault = () => ({ kind: 'status', status: 503 });
      const stale = await facts({ cacheDir, now: () => clock, retries: 0 });
      assert.equal(stale.error, undefined);
      assert.equal(stale.fromCache, true);
      assert.equal(stale.fetchedAt, first.fetchedAt);
      const tags = await client({ cacheDir, now: () => clock, retries: 0 }).listTags(`${proxy.host}/acme/node`);
      assert.equal(tags.fromCache, true);
      assert.equal(tags.tags.length, 4);
      assert.ok(logs.lines.some((l) => l.startsWith('warn:') && l.includes('using the cached answer')));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test("the caller's signal cancels a lookup", async () => {
    inject(manifestPath(), { kind: 'stall' });
    const t0 = Date.now();
    const f = await client({ timeoutMs: 10_000 }).getImageFacts(`${proxy.host}/acme/app:1.0`, { signal: AbortSignal.timeout(300) });
    assert.equal(f.error?.code, 'ABORTED');
    assert.ok(Date.now() - t0 < 3000);
  });

  // Runs last.
  test('no credential appears in any facts, error or log line', () => {
    proxy.fault = undefined;
    const seen = [...logs.lines, ...outputs].join('\n');
    assert.ok(outputs.length >= 15);
    for (const s of [PASSWORD, Buffer.from(`alice:${PASSWORD}`).toString('base64')]) assert.ok(!seen.includes(s), 'a credential leaked');
  });
});
