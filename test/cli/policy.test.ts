// `plimsoll policy explain` and `plimsoll policy check` end to end (the built bundle), in JSON mode, with
// an org policy extended by URL from a loopback server; and `plimsoll lint` using that policy offline.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { integrityOf } from '../../server/src/policy/integrity.ts';
import type { CheckReport, ExplainReport } from '../../server/src/cli/policyCommand.ts';
import { at } from '../policy/helpers.ts';
import { workspace as sharedWorkspace } from '../support/workspace.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TODAY = '2026-06-15';

/** Runs the CLI without blocking this process, so the loopback server here can answer it. */
function run(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: TODAY, XDG_CACHE_HOME: join(cwd, '.cache'), ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const workspace = (files: Record<string, string>): string => sharedWorkspace(files, 'plimsoll-policy-cli-');

const ORG = `locked: [registries.trusted, pinning.level]
images:
  allow:
    - image: node
      semver: ">=20 <23"
    - image: registry.acme.internal/golden/*
  deny:
    - image: node
      tags: ["21*"]
      reason: odd releases are short-lived
registries:
  trusted: [docker.io, "*.acme.internal"]
pinning:
  level: digest
  scope: final
`;
const PIN = integrityOf(ORG);

let server: Server;
let base = '';
let hits = 0;
const dirs: string[] = [];

before(async () => {
  if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/org.yaml') res.end(ORG);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(local: string, dockerfile: string): { dir: string; local: string } {
  const text = `extends:\n  - url: ${base}/org.yaml\n    integrity: ${PIN}\n${local}`;
  const dir = workspace({ '.plimsoll.yaml': text, 'app/Dockerfile': dockerfile });
  dirs.push(dir);
  return { dir, local: text };
}

describe('policy explain', () => {
  test('settings with their file and line, locks, and what decided each image', async () => {
    const dockerfile = 'FROM node:20.11.1 AS build\nFROM node:21.7.0 AS odd\nFROM registry.acme.internal/golden/base:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY --from=quay.io/x/y:1 /a /a\n';
    const { dir, local } = repo('pinning:\n  level: tag\n  scope: all\n', dockerfile);
    const r = await run(dir, ['policy', 'explain', 'app/Dockerfile', '--format', 'json']);
    assert.equal(r.code, 2, r.err); // the local file loosens a locked level: a policy error
    const x = JSON.parse(r.out) as ExplainReport;
    const url = `${base}/org.yaml`;
    assert.equal(x.policy.file, '.plimsoll.yaml');
    assert.deepEqual(x.policy.files, [url, '.plimsoll.yaml']);
    assert.deepEqual(x.policy.remote.map((m) => [m.url, m.fromCache]), [[url, false]]);
    assert.deepEqual(x.policy.errors.map((e) => [e.file, e.code, e.line, e.column]), [['.plimsoll.yaml', 'locked', at(local, 'level: tag').line, at(local, 'level: tag').column]]);

    const setting = (key: string) => x.settings.find((s) => s.key === key)!;
    assert.deepEqual(setting('pinning.level'), { key: 'pinning.level', value: 'digest', source: { file: url, line: 14, column: 3 }, locked: { file: url, line: 1, column: 30 } });
    assert.deepEqual(setting('pinning.scope'), { key: 'pinning.scope', value: 'all', source: { file: '.plimsoll.yaml', ...at(local, 'scope:') }, locked: null });
    assert.deepEqual(setting('pinning.precision').source, null);
    assert.deepEqual(setting('registries.trusted').locked, { file: url, line: 1, column: 10 });

    const [build, odd, golden, copied] = x.images;
    assert.deepEqual([build?.line, build?.column, build?.verdict, build?.decidedBy?.list, build?.decidedBy?.source], [1, 6, 'approved', 'images.allow', { file: url, line: 4, column: 7 }]);
    assert.deepEqual(build?.registry, { host: 'docker.io', trusted: true, by: 'docker.io', source: { file: url, line: 12, column: 3 } });
    assert.deepEqual(build?.pin, { state: 'exact', required: 'digest', source: { file: url, line: 14, column: 3 } });
    assert.ok(build?.findings.includes('PL304'));
    assert.deepEqual([odd?.verdict, odd?.decidedBy?.list, odd?.decidedBy?.source?.line, odd?.decidedBy?.reason], ['denied', 'images.deny', 8, 'odd releases are short-lived']);
    assert.deepEqual([golden?.verdict, golden?.decidedBy?.image, golden?.registry?.by, golden?.pin?.state], ['approved', 'registry.acme.internal/golden/*', '*.acme.internal', 'digest']);
    assert.deepEqual([copied?.kind, copied?.line, copied?.column, copied?.verdict, copied?.registry?.trusted], ['copy-from', 4, 13, 'unapproved', false]);
    assert.deepEqual(copied?.findings, ['PL201', 'PL304']);
  });

  test('a second run offline uses the cached org policy and says how old it is', async () => {
    const { dir } = repo('', 'FROM node:20.11.1\n');
    const first = await run(dir, ['policy', 'explain', 'app/Dockerfile', '--format', 'json']);
    assert.equal(first.code, 0, first.err);
    const before = hits;
    const second = await run(dir, ['policy', 'explain', 'app/Dockerfile', '--format', 'json', '--offline']);
    assert.equal(second.code, 0, second.err);
    assert.equal(hits, before);
    const x = JSON.parse(second.out) as ExplainReport;
    assert.deepEqual(x.policy.remote.map((m) => [m.fromCache, m.ageDays]), [[true, 0]]);
    // lint offline says where the policy came from, on stderr.
    const lint = await run(dir, ['lint', '--offline', '--no-registry']);
    assert.match(lint.err, /policy http:\/\/127\.0\.0\.1:\d+\/org\.yaml from the cache, fetched/);
  });

  test('a pin that does not match: lint fails with the error at the extends entry', async () => {
    const text = `extends:\n  - url: ${base}/org.yaml\n    integrity: ${integrityOf('something else')}\n`;
    const dir = workspace({ '.plimsoll.yaml': text, Dockerfile: 'FROM node:20.11.1\n' });
    dirs.push(dir);
    const r = await run(dir, ['lint', '--no-registry', '--format', 'json']);
    assert.equal(r.code, 2);
    const p = at(text, 'url:');
    assert.match(r.out, new RegExp(`"file": "\\.plimsoll\\.yaml",\\s*"line": ${p.line},\\s*"column": ${p.column}`));
  });

  test('without a policy file: the defaults, every setting from "default"', async () => {
    const dir = workspace({ Dockerfile: 'FROM alpine\n' });
    dirs.push(dir);
    const r = await run(dir, ['policy', 'explain', 'Dockerfile', '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    const x = JSON.parse(r.out) as ExplainReport;
    assert.equal(x.policy.file, null);
    assert.ok(x.settings.every((s) => s.source === null && s.locked === null));
    assert.deepEqual(x.images.map((i) => [i.verdict, i.noAllowlist, i.pin?.state]), [['approved', true, 'untagged']]);
  });

  test('usage errors exit 2', async () => {
    const dir = workspace({ Dockerfile: 'FROM alpine:3.20\n' });
    dirs.push(dir);
    assert.equal((await run(dir, ['policy', 'explain'])).code, 2);
    assert.equal((await run(dir, ['policy', 'explain', 'a', 'b'])).code, 2);
    assert.equal((await run(dir, ['policy', 'frob', 'x'])).code, 2);
    assert.equal((await run(dir, ['policy', 'explain', 'missing/Dockerfile'])).code, 2);
    assert.equal((await run(dir, ['policy', 'check', 'Dockerfile', '--fail-on', 'x'])).code, 2);
    assert.equal((await run(dir, ['policy', '--help'])).code, 0);
  });
});

describe('policy check', () => {
  const check = async (text: string): Promise<{ code: number | null; report: CheckReport }> => {
    const dir = workspace({ '.plimsoll.yaml': text });
    dirs.push(dir);
    const r = await run(dir, ['policy', 'check', '.plimsoll.yaml', '--format', 'json']);
    return { code: r.code, report: JSON.parse(r.out) as CheckReport };
  };
  const brief = (r: CheckReport) => r.problems.map((p) => [p.severity, p.code, p.line, p.column]);

  test('a clean policy: exit 0, no problems', async () => {
    const { code, report } = await check('images:\n  allow:\n    - image: node\n      tags: ["20.*"]\nwaivers:\n  - rules: [PL101]\n    reason: r\n    owner: team\n    expires: 2027-01-01\n');
    assert.equal(code, 0);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.counts, { error: 0, warning: 0, info: 0 });
  });

  test('globs that can never match and waivers that are expired or due: warnings and notes, exit 1', async () => {
    const text = `registries:
  trusted: ["*", -bad.example]
images:
  allow:
    - image: docker.io/node
    - image: alpine
      tags: ["-3.20"]
    - image: python
      semver: ">=3.12 <3.10"
    - image: ruby
      variants: [-slim]
    - image: golang
      tags: ["1.21", "1.22"]
      semver: ">=1.23"
waivers:
  - rules: [PL101]
    file: /abs/Dockerfile
    reason: a
    owner: team
    expires: 2026-06-01
  - rules: [PL303]
    reason: b
    expires: 2026-07-01
  - rules: [PL304]
    reason: c
    owner: team
`;
    const { code, report } = await check(text);
    assert.equal(code, 1);
    const w = (needle: string, c: string, sev = 'warning', nth = 1) => [sev, c, at(text, needle, nth).line, at(text, needle, nth).column];
    assert.deepEqual(brief(report), [
      w('"*"', 'glob-matches-everything'),
      w('-bad.example', 'glob-never-matches'),
      w('image: docker.io/node', 'glob-never-matches'),
      w('image: alpine', 'glob-never-matches'),
      w('image: python', 'glob-never-matches'),
      w('image: ruby', 'glob-never-matches'),
      w('image: golang', 'glob-never-matches'),
      w('rules: [PL101]', 'glob-never-matches'),
      w('rules: [PL101]', 'waiver-expired'),
      w('rules: [PL303]', 'waiver-expiring', 'info'),
      w('rules: [PL303]', 'waiver-no-owner', 'info'),
      w('rules: [PL304]', 'waiver-no-expiry', 'info'),
    ]);
    assert.equal(report.problems.find((p) => p.code === 'glob-never-matches' && p.line === 5)?.suggestion, 'node');
    assert.deepEqual(report.counts, { error: 0, warning: 9, info: 3 });
  });

  test('schema errors and unknown keys with positions: exit 2', async () => {
    const text = 'pinning:\n  level: digset\n  scoop: all\nimages:\n  allow:\n    - image: Node\n';
    const { code, report } = await check(text);
    assert.equal(code, 2);
    assert.deepEqual(brief(report), [
      ['error', 'enum', ...Object.values(at(text, 'digset'))],
      ['warning', 'unknown-key', ...Object.values(at(text, 'scoop'))],
      ['error', 'image', ...Object.values(at(text, 'Node'))],
    ]);
    assert.equal(report.problems[0]?.suggestion, 'digest');
  });

  test('check follows extends: a loosened lock in the file is an error there', async () => {
    const { dir, local } = repo('registries:\n  trusted: [docker.io, quay.io]\n', 'FROM node:20.11.1\n');
    const r = await run(dir, ['policy', 'check', '.plimsoll.yaml', '--format', 'json']);
    assert.equal(r.code, 2);
    const report = JSON.parse(r.out) as CheckReport;
    assert.deepEqual(brief(report), [['error', 'locked', at(local, 'quay.io').line, at(local, 'quay.io').column]]);
    assert.deepEqual(report.files, [`${base}/org.yaml`, '.plimsoll.yaml']);
  });
});
