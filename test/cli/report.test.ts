// `plimsoll report`: the estate figures on a small fixture tree (in process, with registry facts from a
// fake gather, and end to end through the bundle without a registry), and the escaping of every format.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildReport, renderReport } from '../../server/src/cli/reportCommand.ts';
import type { ReportArgs } from '../../server/src/cli/args.ts';
import type { EstateReport } from '../../server/src/core/estate.ts';
import { fakeGather, ODD_DIR, POLICY, SIZES, TODAY, writeEstate } from './support/estate.ts';
import { at } from '../policy/helpers.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function args(extra: Partial<ReportArgs> = {}): ReportArgs {
  return { command: 'report', paths: ['.'], format: 'json', buildArgs: {}, offline: false, noRegistry: false, soonDays: 30, quiet: true, ...extra };
}

function cli(cwd: string, ...a: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...a], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: TODAY, XDG_CACHE_HOME: join(cwd, '.cache') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir = '';
let report: EstateReport;

before(async () => {
  if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  dir = writeEstate();
  report = (await buildReport(args(), { cwd: dir, version: 'test', today: TODAY, gather: fakeGather })).report;
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('estate figures', () => {
  test('summary', () => {
    assert.deepEqual(report.summary, {
      files: 9,
      stages: 11,
      baseImageUses: 11,
      distinctBaseImages: 9,
      distinctReferences: 11,
      pins: { digest: 2, exact: 4, floating: 3, latest: 1, untagged: 1 },
      digestShare: 2 / 11,
      notApproved: 3,
      unresolved: 0,
      scratch: 0,
      stageRefs: 0,
      withSize: 7,
      secretFindings: 0,
      sizeFindings: 2,
      waivers: 3,
      waiversExpiringSoon: 1,
      waiversExpired: 1,
    });
  });

  test('base images by use, with their tags and pins', () => {
    assert.deepEqual(report.baseImages.map((b) => [b.image, b.uses, b.files, b.notApproved]), [
      ['node', 3, 3, 0],
      // Ties in order of the normalised repository.
      ['alpine', 1, 1, 0],
      ['docker', 1, 1, 1],
      ['golang', 1, 1, 0],
      ['nginx', 1, 1, 0],
      ['python', 1, 1, 0],
      ['ubuntu', 1, 1, 1],
      ['gcr.io/distroless/nodejs20-debian12', 1, 1, 0],
      ['quay.io/centos/centos', 1, 1, 1],
    ]);
    const node = report.baseImages[0]!;
    assert.deepEqual(node.tags, [{ tag: '20.11.1-alpine', uses: 2 }, { tag: '22.3.0', uses: 1 }]);
    assert.deepEqual(node.pins, { digest: 1, exact: 2, floating: 0, latest: 0, untagged: 0 });
  });

  test('images not approved: denied, not on the allowlist', () => {
    assert.deepEqual(report.notApproved.map((r) => [r.reference, r.verdict, r.uses, r.files]), [
      ['docker.io/library/docker:latest', 'unapproved', 1, ['tools/ci/Dockerfile']],
      ['docker.io/library/ubuntu:16.04', 'denied', 1, ['services/legacy/Dockerfile']],
      ['quay.io/centos/centos:stream9', 'unapproved', 1, ['services/batch/Containerfile']],
    ]);
    assert.equal(report.notApproved[1]?.reason, 'Past end of standard support');
  });

  test('sizes where the registry knew them, largest first', () => {
    assert.deepEqual(
      report.sizes.map((z) => [z.reference, z.bytes]),
      Object.entries(SIZES).sort((a, b) => b[1] - a[1]),
    );
  });

  test('secret and size findings by rule, and waivers with owners, expiry and what they hid', () => {
    assert.deepEqual(report.rules.map((r) => [r.ruleId, r.category, r.findings, r.files, r.suppressed]), [
      ['PL502', 'size', 1, 1, 0],
      ['PL504', 'size', 1, 1, 0],
      ['PL401', 'secret', 0, 0, 1],
    ]);
    assert.deepEqual(report.waivers.map((w) => [w.rules, w.owner, w.expires, w.status, w.daysLeft, w.hidden, w.policy, w.line]), [
      [['PL302'], undefined, '2026-01-31', 'expired', -135, 0, '.plimsoll.yaml', at(POLICY, 'rules: [PL302]').line],
      [['PL102'], 'team-payments', '2026-07-01', 'expiring', 16, 1, '.plimsoll.yaml', at(POLICY, 'rules: [PL102]').line],
      [['PL401'], 'team-data', '2027-03-31', 'active', 289, 1, '.plimsoll.yaml', at(POLICY, 'rules: [PL401]').line],
    ]);
  });

  test('each stage: base image through ARGs, pin state, verdict, size', () => {
    const file = (p: string) => report.files.find((f) => f.path === p)!;
    assert.deepEqual(file('services/worker/Dockerfile').stages.map((s) => [s.line, s.written, s.resolved, s.pin, s.verdict, s.size]), [[2, 'python:${PY}-slim', 'python:3.12.4-slim', 'exact', 'approved', 51_300_000]]);
    assert.deepEqual(file('services/api/Dockerfile').stages.map((s) => [s.name, s.line, s.pin, s.verdict, s.isFinal]), [
      ['build', 1, 'exact', 'approved', false],
      [undefined, 5, 'digest', 'approved', true],
    ]);
    assert.deepEqual(file('tools/lint.Dockerfile').stages.map((s) => [s.image, s.pin]), [['golang:1.22', 'floating'], ['alpine', 'untagged']]);
    assert.deepEqual(file('services/legacy/Dockerfile').findings, { PL502: 1 });
    assert.equal(file(`${ODD_DIR}/Dockerfile`).policy, '.plimsoll.yaml');
  });

  test('--build-arg changes what a stage resolves to', async () => {
    const r = (await buildReport(args({ paths: ['services/worker'], buildArgs: { PY: '3.10.14' } }), { cwd: dir, version: 'test', today: TODAY })).report;
    assert.deepEqual(r.files[0]?.stages.map((s) => [s.resolved, s.verdict]), [['python:3.10.14-slim', 'unapproved']]);
  });
});

describe('the command', () => {
  test('json through the bundle without a registry: the same figures, no sizes', () => {
    const r = cli(dir, 'report', '--no-registry', '--format', 'json', '-o', 'estate.json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(readFileSync(join(dir, 'estate.json'), 'utf8')) as EstateReport & { registry: unknown; problems: unknown[] };
    assert.deepEqual({ ...json.summary, withSize: 7 }, report.summary);
    assert.equal(json.summary.withSize, 0);
    assert.equal(json.registry, null);
    assert.deepEqual(json.problems, []);
  });

  test('html and markdown escape paths and reasons; html has no script and fetches nothing', () => {
    const built = { report, meta: { version: 'test', problems: [] } };
    const html = renderReport('html', built);
    assert.ok(!/<script/i.test(html));
    assert.ok(!/\s(?:src|href)=/i.test(html), 'nothing is loaded at view time');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.ok(html.includes('odd&lt;b&gt;dir&amp;co/Dockerfile'));
    assert.ok(html.includes('OPS-12 &lt;script&gt;alert(1)&lt;/script&gt;'));
    const md = renderReport('markdown', built);
    assert.ok(!md.includes('<script') && !md.includes('<b>'));
    assert.ok(md.includes('odd&lt;b>dir&co/Dockerfile'));
    assert.ok(md.split('\n').filter((l) => l.startsWith('| ')).every((l) => !/[^\\]\|[^ ]/.test(l.slice(2, -2))), 'no cell breaks its table');
  });

  test('a policy error still writes the report, and exits 2', () => {
    writeFileSync(join(dir, 'broken.yaml'), 'pinning:\n  level: sometimes\n');
    const r = cli(dir, 'report', 'services/web', '--no-registry', '--policy', 'broken.yaml', '--format', 'markdown');
    assert.equal(r.code, 2);
    assert.match(r.out, /^# Base-image estate/);
    assert.match(r.err, /broken\.yaml:2:10/);
  });

  test('usage errors exit 2', () => {
    assert.equal(cli(dir, 'report', '--format', 'sarif').code, 2);
    assert.equal(cli(dir, 'report', '--soon', 'soon').code, 2);
    assert.equal(cli(dir, 'report', '--fix').code, 2);
    assert.equal(cli(dir, 'report', '--help').code, 0);
  });
});
