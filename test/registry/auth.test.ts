// Authentication against real registries: htpasswd (Basic) and token auth behind a Node token server
// (anonymous, password, identity token via a real credential helper), token reuse and expiry, and
// that no credential ever shows up in facts, errors or logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../server/src/registry/index.ts';
import { imageConfig, pushImage, registrySkipReason, seed, sha256, startRegistry, type RunningRegistry, type SeedResult } from './support/registry.ts';
import { startFaultProxy, type FaultProxy } from './support/faultProxy.ts';
import { captureLog } from './support/net.ts';

const skip = registrySkipReason('htpasswd') || registrySkipReason('token');
const PASSWORD = 'plimsoll-S3cret-pw';
const REFRESH = 'plimsoll-refresh-Tok3n-value';
let basicReg: RunningRegistry;
let tokenReg: RunningRegistry;
let basicSeed: SeedResult;
let tokenSeed: SeedResult;
let proxy: FaultProxy;
let tmp: string;
let privateDigest: string;
const clients: RegistryClient[] = [];
const logs = captureLog();
const outputs: string[] = [];

function client(options: RegistryClientOptions = {}): RegistryClient {
  const c = createRegistryClient({ cacheDir: false, engine: false, retries: 0, log: logs.log, env: { HOME: tmp, PATH: process.env['PATH'] }, ...options });
  clients.push(c);
  return c;
}

/** A DOCKER_CONFIG directory with this config.json (and `bin/` on PATH for helpers). */
function dockerConfigDir(name: string, config: unknown): { DOCKER_CONFIG: string; HOME: string; PATH: string } {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { DOCKER_CONFIG: dir, HOME: tmp, PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}` };
}

function record<T>(value: T): T {
  outputs.push(JSON.stringify(value));
  return value;
}

describe('registry auth', { skip }, () => {
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'plimsoll-auth-'));
    [basicReg, tokenReg] = await Promise.all([
      startRegistry({ auth: 'htpasswd', users: { alice: PASSWORD } }),
      startRegistry({ auth: 'token', users: { alice: PASSWORD }, refreshTokens: { [REFRESH]: 'alice' }, publicPrefixes: ['acme/'] }),
    ]);
    [basicSeed, tokenSeed] = await Promise.all([seed(basicReg), seed(tokenReg)]);
    const layers = [Buffer.from('private layer')];
    privateDigest = (await pushImage(tokenReg, 'private/app', ['1.0'], { format: 'oci', layers, config: imageConfig({ diffIds: [sha256(layers[0]!)] }) })).digest;
    proxy = await startFaultProxy(basicReg.url);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.stop();
    await Promise.all([basicReg?.stop(), tokenReg?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('htpasswd (Basic)', () => {
    test('without credentials: UNAUTHORIZED, clearly', async () => {
      const f = record(await client({ dockerConfig: false }).getImageFacts(`${basicReg.host}/acme/app:1.0`));
      assert.equal(f.error?.code, 'UNAUTHORIZED');
      assert.match(f.error?.message ?? '', /requires a login|requires authentication/);
    });

    test('credentials from the Docker config (base64 `auth`), Basic sent up front after the first challenge', async () => {
      const env = dockerConfigDir('basic', { auths: { [proxy.host]: { auth: Buffer.from(`alice:${PASSWORD}`).toString('base64') } } });
      const start = proxy.records.length;
      const c = client({ env });
      const f = record(await c.getImageFacts(`${proxy.host}/acme/multi:1.0`));
      assert.equal(f.error, undefined);
      assert.equal(f.digest, basicSeed.multi.digest);
      assert.equal(f.attestations.length, 2);
      record(await c.listTags(`${proxy.host}/acme/node`));
      const unauthenticated = proxy.records.slice(start).filter((r) => r.headers.authorization === undefined);
      assert.equal(unauthenticated.length, 1, 'only the very first request goes without credentials');
    });

    test('a wrong password: UNAUTHORIZED, and the password is not repeated anywhere', async () => {
      const f = record(await client({ credentials: { [basicReg.host]: { username: 'alice', password: 'wrong-Passw0rd-here' } } }).getImageFacts(`${basicReg.host}/acme/app:1.0`));
      assert.equal(f.error?.code, 'UNAUTHORIZED');
    });
  });

  describe('token auth', () => {
    test('anonymous pull of a public repository; one token reused for every request in its scope', async () => {
      const start = tokenReg.token!.requests.length;
      const f = record(await client({ dockerConfig: false }).getImageFacts(`${tokenReg.host}/acme/multi:1.0`));
      assert.equal(f.error, undefined);
      assert.equal(f.digest, tokenSeed.multi.digest);
      assert.equal(f.manifests.length, 2);
      const reqs = tokenReg.token!.requests.slice(start);
      assert.equal(reqs.length, 1);
      assert.equal(reqs[0]?.authorization, undefined);
      const url = new URL(reqs[0]!.url, 'http://x');
      assert.equal(url.searchParams.get('scope'), 'repository:acme/multi:pull');
      assert.equal(url.searchParams.get('service'), tokenReg.token!.service);
    });

    test('a private repository refuses anonymous access', async () => {
      const f = record(await client({ dockerConfig: false }).getImageFacts(`${tokenReg.host}/private/app:1.0`));
      assert.equal(f.error?.code, 'UNAUTHORIZED');
    });

    test('a password from the Docker config goes to the token server as Basic', async () => {
      const env = dockerConfigDir('token-pw', { auths: { [tokenReg.host]: { username: 'alice', password: PASSWORD } } });
      const start = tokenReg.token!.requests.length;
      const f = record(await client({ env }).getImageFacts(`${tokenReg.host}/private/app:1.0`));
      assert.equal(f.error, undefined);
      assert.equal(f.digest, privateDigest);
      const reqs = tokenReg.token!.requests.slice(start);
      assert.equal(reqs.length, 1);
      assert.match(reqs[0]?.authorization ?? '', /^Basic /);
      assert.equal(new URL(reqs[0]!.url, 'http://x').searchParams.get('account'), 'alice');
    });

    test('an identity token from a credential helper is exchanged by the OAuth2 refresh-token grant', async () => {
      const env = dockerConfigDir('token-helper', { credHelpers: { [tokenReg.host]: 'plimtest' } });
      const helper = join(env.DOCKER_CONFIG, 'bin', 'docker-credential-plimtest');
      writeFileSync(helper, `#!/bin/sh\ntouch "${join(env.DOCKER_CONFIG, 'ran')}"\ncat >/dev/null\nprintf '%s' '{"ServerURL":"x","Username":"<token>","Secret":"${REFRESH}"}'\n`);
      chmodSync(helper, 0o755);
      const start = tokenReg.token!.requests.length;
      const f = record(await client({ env }).getImageFacts(`${tokenReg.host}/private/app:1.0`));
      assert.equal(f.error, undefined);
      assert.equal(f.digest, privateDigest);
      const reqs = tokenReg.token!.requests.slice(start);
      assert.equal(reqs.length, 1);
      assert.equal(reqs[0]?.method, 'POST');
      const form = new URLSearchParams(reqs[0]?.body);
      assert.equal(form.get('grant_type'), 'refresh_token');
      assert.equal(form.get('scope'), 'repository:private/app:pull');

      // Untrusted workspace: the helper is never run, so the private image stays out of reach.
      rmSync(join(env.DOCKER_CONFIG, 'ran'));
      const off = record(await client({ env, allowCredentialHelpers: false }).getImageFacts(`${tokenReg.host}/private/app:1.0`));
      assert.equal(off.error?.code, 'UNAUTHORIZED');
      assert.equal(existsSync(join(env.DOCKER_CONFIG, 'ran')), false);
    });

    test('tokens are reused until they expire, then fetched again', async () => {
      let clock = Date.now();
      const c = client({ dockerConfig: false, now: () => clock, tagTtlMs: 0 });
      const start = tokenReg.token!.requests.length;
      const ref = `${tokenReg.host}/acme/app:1.0`;
      record(await c.getImageFacts(ref));
      record(await c.getImageFacts(ref));
      assert.equal(tokenReg.token!.requests.length - start, 1);
      clock += 301_000;
      const f = record(await c.getImageFacts(ref));
      assert.equal(f.error, undefined);
      assert.equal(tokenReg.token!.requests.length - start, 2);
    });
  });

  // Runs last: every fact and log line of the suite above.
  test('no credential appears in any facts, error or log line', () => {
    const secrets = [PASSWORD, Buffer.from(`alice:${PASSWORD}`).toString('base64'), REFRESH, 'wrong-Passw0rd-here', ...tokenReg.token!.issued];
    assert.ok(tokenReg.token!.issued.length >= 5);
    assert.ok(logs.lines.some((l) => l.startsWith('debug: got a token')));
    const seen = [...logs.lines, ...outputs].join('\n');
    for (const s of secrets) assert.ok(!seen.includes(s), `a credential leaked into facts or logs: ${s.slice(0, 6)}…`);
  });
});
