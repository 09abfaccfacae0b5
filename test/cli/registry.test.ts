// `plimsoll lint` against a real CNCF Distribution registry on loopback: digest pins match what the registry
// (and skopeo) say, --fix pins in place and is idempotent, newest allowed tags, size budgets, --offline.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { registrySkipReason, startRegistry, seed, sha256, type RunningRegistry, type SeedResult } from '../registry/support/registry.ts';
import { workspace as sharedWorkspace } from '../support/workspace.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const skip = registrySkipReason();

let reg: RunningRegistry;
let seeded: SeedResult;
let cacheDir: string;

function run(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args, '--cache-dir', cacheDir], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: '2026-06-15', DOCKER_CONFIG: join(cacheDir, 'no-docker-config') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const workspace = (files: Record<string, string>): string => sharedWorkspace(files, 'plimsoll-reg-cli-');

type Json = { findings: Array<{ ruleId: string; message: string; fixes: Array<{ title: string; applicability: string; changes: Array<{ edits: Array<{ newText: string }> }> }> }>; registry?: { offline: boolean; fromCache: number; missing: unknown[] } };

describe('lint with registry facts', { skip }, () => {
  before(async () => {
    if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    cacheDir = mkdtempSync(join(tmpdir(), 'plimsoll-reg-cache-'));
    reg = await startRegistry();
    seeded = await seed(reg);
  });
  after(async () => {
    await reg?.stop();
  });

  test('the pin fix uses the index digest for a multi-platform image, keeping tag, --platform and AS', () => {
    const h = reg.host;
    const dir = workspace({
      '.plimsoll.yaml': 'pinning:\n  level: digest\n',
      Dockerfile: `FROM --platform=linux/arm64 ${h}/acme/multi:1.0 AS build\nFROM ${h}/acme/app:1.0\nCOPY --from=build /x /x\n`,
    });
    const j = JSON.parse(run(dir, 'lint', '--format', 'json').out) as Json;
    const pins = j.findings.filter((f) => f.ruleId === 'PL304');
    assert.equal(pins.length, 2);
    assert.equal(pins[0]!.fixes[0]!.changes[0]!.edits[0]!.newText, `${h}/acme/multi:1.0@${seeded.multi.digest}`);
    assert.equal(pins[1]!.fixes[0]!.changes[0]!.edits[0]!.newText, `${h}/acme/app:1.0@${seeded.app.digest}`);

    assert.equal(run(dir, 'lint', '--fix', '--fail-on', 'warning').code, 0);
    const fixed = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    assert.equal(fixed, `FROM --platform=linux/arm64 ${h}/acme/multi:1.0@${seeded.multi.digest} AS build\nFROM ${h}/acme/app:1.0@${seeded.app.digest}\nCOPY --from=build /x /x\n`);
    run(dir, 'lint', '--fix');
    assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'), fixed, '--fix is idempotent');
  });

  test('pinned digests equal skopeo inspect --raw', { skip: !existsSync('/usr/bin/skopeo') && 'skopeo not installed' }, () => {
    const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/acme/multi:1.0`]);
    assert.equal(raw.status, 0, raw.stderr?.toString());
    assert.equal(sha256(raw.stdout), seeded.multi.digest);
  });

  test('with platformDigests and a constant --platform, the platform manifest digest is pinned', () => {
    const dir = workspace({
      '.plimsoll.yaml': 'pinning:\n  level: digest\n  platformDigests: true\n',
      Dockerfile: `FROM --platform=linux/arm64 ${reg.host}/acme/multi:1.0 AS build\n`,
    });
    const j = JSON.parse(run(dir, 'lint', '--format', 'json').out) as Json;
    const pin = j.findings.find((f) => f.ruleId === 'PL304')!;
    assert.equal(pin.fixes[0]!.changes[0]!.edits[0]!.newText, `${reg.host}/acme/multi:1.0@${seeded.multi.arm64.digest}`);
  });

  test('newest allowed patch within the policy range; stale and vanished digests', () => {
    const h = reg.host;
    const dir = workspace({
      '.plimsoll.yaml': 'images:\n  allow:\n    - image: "**"\n      semver: "<21"\n',
      Dockerfile: [
        `FROM ${h}/acme/node:20.11.0 AS a`,
        `FROM ${h}/acme/node:20.11.1@${seeded.node.tags['20.11.0']} AS stale`,
        `FROM ${h}/acme/node:20.11.1@sha256:${'0'.repeat(64)} AS gone`,
        '',
      ].join('\n'),
    });
    const j = JSON.parse(run(dir, 'lint', '--format', 'json').out) as Json;
    const ids = j.findings.map((f) => f.ruleId).sort();
    assert.deepEqual(ids, ['PL305', 'PL306', 'PL307']);
    const bump = j.findings.find((f) => f.ruleId === 'PL307')!;
    assert.equal(bump.fixes[0]!.changes[0]!.edits[0]!.newText, `${h}/acme/node:20.11.1`);
    const stale = j.findings.find((f) => f.ruleId === 'PL305')!;
    assert.equal(stale.fixes[0]!.changes[0]!.edits[0]!.newText, `${h}/acme/node:20.11.1@${seeded.node.tags['20.11.1']}`);
  });

  test('size budgets read compressed sizes from the manifests', () => {
    const dir = workspace({ '.plimsoll.yaml': 'sizes:\n  baseImage: 20kB\n  layer: 30kB\n', Dockerfile: `FROM ${reg.host}/acme/app:1.0\n` });
    const j = JSON.parse(run(dir, 'lint', '--format', 'json').out) as Json;
    assert.deepEqual(j.findings.map((f) => f.ruleId).sort(), ['PL510', 'PL511']);
    assert.match(j.findings.find((f) => f.ruleId === 'PL510')!.message, /40\.8 kB/);
  });

  test('a reference built from a secret is never asked of the registry', () => {
    const token = 'npm_moX98H7ZIeUVTj08VCc8TqL19KSXjS4wnoc7';
    const dir = workspace({ Dockerfile: `ARG NPM_TOKEN=${token}\nFROM ${reg.host}/acme/app:\${NPM_TOKEN}\n` });
    const r = run(dir, 'lint', '--format', 'json');
    const j = JSON.parse(r.out) as Json & { registry?: { requested: number } };
    assert.ok(j.findings.some((f) => f.ruleId === 'PL903'));
    assert.equal(j.registry?.requested ?? 0, 0, 'nothing was looked up');
    assert.ok(!r.out.includes(token.slice(4)) && !r.err.includes(token.slice(4)));
  });

  test('--offline answers from the cache a previous run filled, and says what is missing', () => {
    const dir = workspace({ '.plimsoll.yaml': 'pinning:\n  level: digest\n', Dockerfile: `FROM ${reg.host}/acme/app:1.0\nFROM ${reg.host}/acme/never-seen:1.0\n` });
    run(dir, 'lint');
    const off = run(dir, 'lint', '--offline', '--format', 'json');
    const j = JSON.parse(off.out) as Json;
    const pin = j.findings.find((f) => f.ruleId === 'PL304' && f.fixes.length > 0)!;
    assert.equal(pin.fixes[0]!.changes[0]!.edits[0]!.newText, `${reg.host}/acme/app:1.0@${seeded.app.digest}`);
    assert.equal(j.registry?.offline, true);
    assert.ok(j.registry!.fromCache > 0);
    assert.ok(j.registry!.missing.length > 0);
    assert.match(off.err, /offline: \d+ of \d+ registry facts from the cache/);
    assert.match(off.err, /never-seen/);
  });
});
