// No secret leaves through `plimsoll report` (every format) or `plimsoll policy explain` (text and JSON):
// the planted Dockerfile, plus images whose reference is built from a secret ARG.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DOCKERFILE, POLICY_YAML, S, leaks } from '../support/planted.ts';
import type { EstateReport } from '../../server/src/core/estate.ts';
import type { ExplainReport } from '../../server/src/cli/policyCommand.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

/** References built from secrets: a tag from a token ARG, a whole reference from one, a literal token tag. */
const FROM_SECRETS = `ARG NPM_TOKEN=${S.npm}
ARG GLOBAL_API_TOKEN=${S.argDefault}
ARG BASE_TAG=${S.glpat}
FROM node:\${NPM_TOKEN} AS a
FROM \${GLOBAL_API_TOKEN} AS b
FROM node:\${BASE_TAG} AS c
FROM node:${S.npm} AS d
COPY --from=alpine:\${NPM_TOKEN} /x /x
`;

let dir = '';
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(dir, '.cache') } });

before(() => {
  if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'plimsoll-report-leak-'));
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'from'));
  writeFileSync(join(dir, '.plimsoll.yaml'), POLICY_YAML);
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'from', 'Dockerfile'), FROM_SECRETS);
  writeFileSync(join(dir, '.npmrc'), '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n');
  writeFileSync(join(dir, '.env'), 'A=1\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('no secret leaves through the report or explain', () => {
  for (const format of ['json', 'html', 'markdown']) {
    test(`report --format ${format}`, () => {
      const r = cli('report', '--no-registry', '--format', format);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(leaks(r.stdout), []);
      assert.deepEqual(leaks(r.stderr), []);
    });
  }

  test('a reference built from a secret is reported as written, masked, and not judged', () => {
    const json = JSON.parse(cli('report', 'from', '--no-registry', '--format', 'json').stdout) as EstateReport;
    const stages = json.files[0]!.stages;
    assert.deepEqual(stages.map((s) => [s.name, s.kind, s.masked, s.resolved]), [
      ['a', 'unresolved', true, 'node:${NPM_TOKEN}'],
      ['b', 'unresolved', true, '${GLOBAL_API_TOKEN}'],
      ['c', 'unresolved', true, 'node:${BASE_TAG}'],
      ['d', 'unresolved', true, 'node:npm_****'],
    ]);
    assert.equal(json.summary.unresolved, 4);
    assert.deepEqual(json.baseImages, []);
  });

  for (const format of ['text', 'json']) {
    test(`policy explain --format ${format}`, () => {
      for (const file of ['Dockerfile', 'from/Dockerfile']) {
        const r = cli('policy', 'explain', file, '--format', format);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(leaks(r.stdout), [], file);
        if (format === 'json' && file === 'from/Dockerfile') {
          const x = JSON.parse(r.stdout) as ExplainReport;
          assert.deepEqual(x.images.map((i) => i.status), ['masked', 'masked', 'masked', 'masked', 'masked']);
        }
      }
    });
  }
});
