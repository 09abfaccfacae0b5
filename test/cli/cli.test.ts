// The `plimsoll` command end to end: the built bundle in temp folders, every format and exit code.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { workspace as sharedWorkspace } from '../support/workspace.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function run(cwd: string, ...args: string[]) {
  // Registry facts have their own suite (registry.test.ts); here the network is not wanted.
  if (args[0] === 'lint' && !args.includes('--registry')) args = [...args, '--no-registry'];
  const r = spawnSync(process.execPath, [CLI, ...args.filter((a) => a !== '--registry')], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: '2026-06-15' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const workspace = (files: Record<string, string>): string => sharedWorkspace(files, 'plimsoll-cli-');

const POLICY = `images:
  allow:
    - image: node
      semver: ">=20 <23"
    - image: ubuntu
      tags: ["24.04"]
  deny:
    - image: ubuntu
      tags: ["16.04"]
      reason: end of life
      replacement: ubuntu:24.04
registries:
  trusted: [docker.io]
`;

before(() => {
  if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
});

describe('discovery and exit codes', () => {
  test('finds Dockerfile, Containerfile, *.Dockerfile and Dockerfile.* but not ignore files', () => {
    const dir = workspace({
      'Dockerfile': 'FROM node:20.11.1\n',
      'svc/Containerfile': 'FROM node:20.11.1\n',
      'svc/api.Dockerfile': 'FROM node:20.11.1\n',
      'svc/Dockerfile.dev': 'FROM node:20.11.1\n',
      'svc/Dockerfile.dockerignore': 'x\n',
      'node_modules/x/Dockerfile': 'FROM node\n',
    });
    const r = run(dir, 'lint', '.', '--format', 'json');
    assert.equal(r.code, 0, r.err);
    const summary = run(dir, 'lint', '.');
    assert.match(summary.out, /4 files checked/);
  });

  test('exit 1 at or above --fail-on, 0 below it, 0 with never', () => {
    const dir = workspace({ Dockerfile: 'FROM node\n' });
    assert.equal(run(dir, 'lint').code, 0); // a warning, default threshold is error
    assert.equal(run(dir, 'lint', '--fail-on', 'warning').code, 1);
    assert.equal(run(dir, 'lint', '--fail-on', 'info').code, 1);
    assert.equal(run(dir, 'lint', '--fail-on', 'never').code, 0);
    assert.equal(run(dir, 'lint', '--fail-on=warning').code, 1);
  });

  test('usage errors exit 2', () => {
    const dir = workspace({ Dockerfile: 'FROM node:20.11.1\n' });
    assert.equal(run(dir, 'lint', '--format', 'xml').code, 2);
    assert.equal(run(dir, 'lint', '--nope').code, 2);
    assert.equal(run(dir, 'frobnicate').code, 2);
    assert.equal(run(dir, 'lint', 'missing-dir').code, 2);
  });

  test('a broken policy exits 2 and names file, line and column', () => {
    const dir = workspace({ Dockerfile: 'FROM node:20.11.1\n', '.plimsoll.yaml': 'pinning:\n  level: sometimes\n' });
    const r = run(dir, 'lint');
    assert.equal(r.code, 2);
    assert.match(r.out, /\.plimsoll\.yaml:2:10: error/);
  });
});

describe('formats', () => {
  const files = { '.plimsoll.yaml': POLICY, 'app/Dockerfile': 'FROM ubuntu:16.04 AS old\nFROM quay.io/x/y:1.0.0\nFROM node:18.0.0\n' };

  test('text', () => {
    const r = run(workspace(files), 'lint');
    assert.equal(r.code, 1);
    assert.match(r.out, /^app\/Dockerfile:1:6: error PL102 /m);
    assert.match(r.out, /^app\/Dockerfile:2:6: error PL201 /m);
    assert.match(r.out, /^app\/Dockerfile:3:6: error PL101 /m);
  });

  test('json has version 1, 0-based ranges, fingerprints and fixes', () => {
    const r = run(workspace(files), 'lint', '--format', 'json');
    const j = JSON.parse(r.out) as { version: number; findings: Array<{ file: string; ruleId: string; range: { start: { line: number; character: number } }; fingerprint: string; fixes: unknown[]; category: string }> };
    assert.equal(j.version, 1);
    const denied = j.findings.find((f) => f.ruleId === 'PL102')!;
    assert.equal(denied.file, 'app/Dockerfile');
    assert.deepEqual(denied.range.start, { line: 0, character: 5 });
    assert.equal(denied.category, 'base-image');
    assert.match(denied.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(denied.fixes.length, 1);
  });

  test('fingerprints do not change when lines move', () => {
    const a = JSON.parse(run(workspace(files), 'lint', '--format', 'json').out) as { findings: Array<{ ruleId: string; fingerprint: string }> };
    const moved = { ...files, 'app/Dockerfile': `# a comment\n\n${files['app/Dockerfile']}` };
    const b = JSON.parse(run(workspace(moved), 'lint', '--format', 'json').out) as { findings: Array<{ ruleId: string; fingerprint: string }> };
    assert.deepEqual(a.findings.map((f) => f.fingerprint), b.findings.map((f) => f.fingerprint));
  });

  test('sarif 2.1.0 with rules, helpUri, repo-relative uris and partialFingerprints', () => {
    const dir = workspace(files);
    const r = run(dir, 'lint', '--format', 'sarif', '-o', 'out.sarif');
    assert.equal(r.code, 1);
    const s = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    assert.equal(s.version, '2.1.0');
    const driver = s.runs[0].tool.driver;
    assert.equal(driver.name, 'plimsoll');
    const ids = driver.rules.map((x: { id: string }) => x.id);
    for (const id of ['PL101', 'PL102', 'PL201', 'PL301']) assert.ok(ids.includes(id));
    for (const rule of driver.rules) {
      assert.match(rule.helpUri, /^https:\/\//);
      assert.ok(rule.shortDescription.text && rule.fullDescription.text && rule.help.markdown);
      assert.match(rule.properties['security-severity'], /^\d+\.\d$/);
    }
    const res = s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'PL102');
    assert.equal(res.level, 'error');
    assert.equal(driver.rules[res.ruleIndex].id, 'PL102');
    const loc = res.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'app/Dockerfile');
    assert.equal(loc.artifactLocation.uriBaseId, 'SRCROOT');
    assert.deepEqual(loc.region, { startLine: 1, startColumn: 6, endLine: 1, endColumn: 18 });
    assert.match(res.partialFingerprints['plimsoll/v1'], /^[0-9a-f]{16}$/);
    assert.match(s.runs[0].originalUriBaseIds.SRCROOT.uri, /^file:\/\/.*\/$/);
  });

  test('github annotations', () => {
    const r = run(workspace(files), 'lint', '--format', 'github');
    assert.match(r.out, /^::error file=app\/Dockerfile,line=1,col=6,endLine=1,endColumn=18,title=PL102 denied-base-image::/m);
  });
});

describe('--fix and --build-arg', () => {
  test('--fix applies safe fixes only, in place, and is idempotent', () => {
    const dir = workspace({ '.plimsoll.yaml': POLICY, Dockerfile: 'FROM ubuntu:16.04\nRUN apk add curl \\\n && pip install requests\n' });
    const r = run(dir, 'lint', '--fix', '--format', 'json');
    const after = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    // PL504's fixes are safe; the denied-image replacement (PL102) is unsafe and stays a suggestion.
    assert.equal(after, 'FROM ubuntu:16.04\nRUN apk add --no-cache curl \\\n && pip install --no-cache-dir requests\n');
    const left = JSON.parse(r.out) as { findings: Array<{ ruleId: string }> };
    assert.deepEqual(left.findings.map((f) => f.ruleId), ['PL102']);
    run(dir, 'lint', '--fix');
    assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'), after, 'a second --fix changes nothing');
  });

  test('--fix adds a sensitive file to .dockerignore, creating it', () => {
    const dir = workspace({ Dockerfile: 'FROM node:20.11.1-alpine\nCOPY . /app\n', '.env': 'DB_PASSWORD=x\n', 'index.js': '1\n' });
    const before = JSON.parse(run(dir, 'lint', '--format', 'json').out) as { findings: Array<{ ruleId: string }> };
    assert.deepEqual(before.findings.map((f) => f.ruleId), ['PL403']);
    run(dir, 'lint', '--fix');
    assert.match(readFileSync(join(dir, '.dockerignore'), 'utf8'), /^\/\.env$/m);
    const after = JSON.parse(run(dir, 'lint', '--format', 'json').out) as { findings: unknown[] };
    assert.deepEqual(after.findings, []);
  });

  test('--build-arg resolves ARG-based images', () => {
    const dir = workspace({ '.plimsoll.yaml': POLICY, Dockerfile: 'ARG BASE\nFROM ${BASE}\n' });
    const unresolved = JSON.parse(run(dir, 'lint', '--format', 'json').out) as { findings: Array<{ ruleId: string }> };
    assert.deepEqual(unresolved.findings.map((f) => f.ruleId), ['PL903']);
    const resolved = JSON.parse(run(dir, 'lint', '--format', 'json', '--build-arg', 'BASE=ubuntu:16.04').out) as { findings: Array<{ ruleId: string }> };
    assert.deepEqual(resolved.findings.map((f) => f.ruleId), ['PL102']);
  });
});
