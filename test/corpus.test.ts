// The engine over every real Dockerfile in ../shared/corpus (skipped when absent): no exception, no finding
// outside its document, and every safe fix re-lints without its finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lint, type LintInput } from '../server/src/core/lint.ts';
import { applyEdits, planFixes } from '../server/src/core/fixes.ts';
import { defaultPolicy, type Policy } from '../server/src/core/policy.ts';

const CORPUS = join(__dirname, '..', '..', 'shared', 'corpus');
const present = existsSync(join(CORPUS, 'files'));

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** A strict policy so that every image, pinning and policy rule gets exercised on real files. */
function strictPolicy(): Policy {
  const p = defaultPolicy();
  p.allowedImages = [{ image: 'docker.io/library/*', semver: '>=1', variants: ['alpine', 'slim', ''] }];
  p.deniedImages = [{ image: 'docker.io/library/centos', reason: 'end of life', replacement: 'rockylinux:9.3' }];
  p.trustedRegistries = ['docker.io'];
  p.pinning = { level: 'digest', scope: 'all', precision: 'patch', stages: {} };
  p.sizes = { copyContext: 1000 };
  p.allowInlineSuppression = false;
  return p;
}

function check(file: string, text: string, policy: Policy): number {
  const errors: string[] = [];
  const input: LintInput = { text, policy, file, today: '2026-06-15', onRuleError: (id, e) => errors.push(`${id}: ${String(e)}`) };
  const result = lint(input);
  assert.deepEqual(errors, [], `${file}: a rule threw`);
  for (const f of result.findings) assert.ok(result.model.index.contains(f.range), `${file}: ${f.ruleId} range outside the document`);
  const plan = planFixes(result.findings);
  if (plan.document.length > 0) {
    const fixed = applyEdits(text, plan.document);
    const again = lint({ ...input, text: fixed });
    for (const f of plan.applied) assert.ok(!again.findings.some((g) => g.fingerprint === f.fingerprint), `${file}: safe fix for ${f.ruleId} did not remove it`);
  }
  return result.findings.length;
}

test('every corpus file lints cleanly under the default and a strict policy', { skip: !present && 'shared corpus not present' }, () => {
  const files = listFiles(join(CORPUS, 'files'));
  assert.ok(files.length > 3000);
  let findings = 0;
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    findings += check(path, text, defaultPolicy());
    findings += check(path, text, strictPolicy());
  }
  assert.ok(findings > files.length, 'the strict policy finds things in real files');
});

test('stress files lint without throwing', { skip: !existsSync(join(CORPUS, 'stress')) && 'stress files not present' }, () => {
  for (const path of listFiles(join(CORPUS, 'stress'))) {
    if (!/\.(Dockerfile|bin)$|Dockerfile/.test(path)) continue;
    const text = readFileSync(path, 'latin1');
    check(path, text, strictPolicy());
  }
});
