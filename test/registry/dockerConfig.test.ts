// Docker config credentials: file entries, per-host helpers, the default store, real helper programs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerConfigCredentials, runCredentialHelper, type Env } from '../../server/src/registry/dockerConfig.ts';
import { captureLog } from './support/net.ts';

let dir: string;
let env: Env;

/** A real `docker-credential-<name>` program: logs its stdin, then answers `reply` (or a miss). */
function helper(name: string, reply: { Username: string; Secret: string } | 'miss'): void {
  const out = reply === 'miss' ? `echo "credentials not found in native keychain"; exit 1` : `printf '%s' '${JSON.stringify({ ServerURL: 'x', ...reply })}'`;
  const file = join(dir, 'bin', `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\ncat > "${join(dir, `${name}.stdin`)}"\n${out}\n`);
  chmodSync(file, 0o755);
}

function config(content: unknown): void {
  writeFileSync(join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'plimsoll-dockercfg-'));
  mkdirSync(join(dir, 'bin'));
  env = { DOCKER_CONFIG: dir, PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir };
  helper('perhost', { Username: 'ci-bot', Secret: 'perhost-secret' });
  helper('store', { Username: '<token>', Secret: 'refresh-token-from-store' });
  helper('empty', 'miss');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('auths entries', () => {
  test('base64 `auth` (password may contain colons), fields, identity tokens, URL-shaped keys', async () => {
    config({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:pa:ss:word').toString('base64') },
        'https://ghcr.io': { username: 'gh', password: 'ghp_secret' },
        'quay.io/v2/': { identitytoken: 'quay-refresh' },
      },
    });
    const creds = dockerConfigCredentials({ env });
    assert.deepEqual(await creds('docker.io'), { username: 'hubuser', password: 'pa:ss:word' });
    assert.deepEqual(await creds('ghcr.io'), { username: 'gh', password: 'ghp_secret' });
    assert.deepEqual(await creds('quay.io'), { identityToken: 'quay-refresh' });
    assert.equal(await creds('other.example'), undefined);
  });

  test('missing or broken config means no credentials, with a warning for broken JSON', async () => {
    const log = captureLog();
    assert.equal(await dockerConfigCredentials({ env, configPath: join(dir, 'absent.json') })('docker.io'), undefined);
    writeFileSync(join(dir, 'broken.json'), '{nope');
    assert.equal(await dockerConfigCredentials({ env, configPath: join(dir, 'broken.json'), log: log.log })('docker.io'), undefined);
    assert.match(log.lines.join('\n'), /not valid JSON/);
  });
});

describe('credential helpers', () => {
  test('credHelpers[host] first, then credsStore, then auths', async () => {
    config({
      credHelpers: { 'ghcr.io': 'perhost' },
      credsStore: 'store',
      auths: { 'ghcr.io': { username: 'file', password: 'file-pw' }, 'quay.io': {} },
    });
    const creds = dockerConfigCredentials({ env });
    assert.deepEqual(await creds('ghcr.io'), { username: 'ci-bot', password: 'perhost-secret' });
    assert.equal(readFileSync(join(dir, 'perhost.stdin'), 'utf8'), 'ghcr.io');
    // `<token>` as the username means the secret is an identity (refresh) token.
    assert.deepEqual(await creds('docker.io'), { identityToken: 'refresh-token-from-store' });
    assert.equal(readFileSync(join(dir, 'store.stdin'), 'utf8'), 'https://index.docker.io/v1/');
  });

  test('a helper miss falls back to the file', async () => {
    config({ credsStore: 'empty', auths: { 'ghcr.io': { username: 'file', password: 'file-pw' } } });
    assert.deepEqual(await dockerConfigCredentials({ env })('ghcr.io'), { username: 'file', password: 'file-pw' });
  });

  test('helpers can be switched off (untrusted workspaces): nothing is run', async () => {
    rmSync(join(dir, 'perhost.stdin'), { force: true });
    config({ credHelpers: { 'ghcr.io': 'perhost' }, auths: { 'ghcr.io': { username: 'file', password: 'file-pw' } } });
    const log = captureLog();
    const creds = dockerConfigCredentials({ env, allowCredentialHelpers: false, log: log.log });
    assert.deepEqual(await creds('ghcr.io'), { username: 'file', password: 'file-pw' });
    assert.equal(existsSync(join(dir, 'perhost.stdin')), false);
    assert.match(log.lines.join('\n'), /helpers are disabled/);
  });

  test('a missing or misnamed helper is a warning, not a crash; secrets stay out of messages', async () => {
    config({ credsStore: 'does-not-exist' });
    const log = captureLog();
    assert.equal(await dockerConfigCredentials({ env, log: log.log })('ghcr.io'), undefined);
    assert.match(log.lines.join('\n'), /docker-credential-does-not-exist/);
    await assert.rejects(runCredentialHelper('../evil', 'x', { env }), /not a plain program name/);
    assert.doesNotMatch(log.lines.join('\n'), /secret/i);
  });
});
