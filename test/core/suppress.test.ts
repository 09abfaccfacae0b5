import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { lint } from '../../server/src/core/lint.ts';
import { defaultPolicy, type Policy, type Waiver } from '../../server/src/core/policy.ts';

function policyWith(waivers: Waiver[], allow = true): Policy {
  const p = defaultPolicy();
  p.waivers = waivers;
  p.allowInlineSuppression = allow;
  return p;
}
const ids = (text: string, policy: Policy, extra: { file?: string; absolutePath?: string } = {}) =>
  lint({ text, policy, today: '2026-06-15', ...extra }).findings.map((f) => f.ruleId);

describe('waivers', () => {
  const text = 'FROM node AS build\nFROM alpine:latest\n';
  test('scoped by rule, stage and image', () => {
    assert.deepEqual(ids(text, policyWith([{ rules: ['PL301'], reason: 'r' }])), ['PL302']);
    assert.deepEqual(ids(text, policyWith([{ rules: ['PL301'], stage: 'other', reason: 'r' }])), ['PL301', 'PL302']);
    assert.deepEqual(ids(text, policyWith([{ rules: ['PL301', 'PL302'], image: 'docker.io/library/alpine*', reason: 'r' }])), ['PL301']);
  });
  test('scoped by file, relative to the folder of the policy that declared the waiver', () => {
    const w: Waiver = { rules: ['PL301', 'PL302'], file: 'services/legacy/**', reason: 'r', baseDir: '/repo/org' };
    assert.deepEqual(ids(text, policyWith([w]), { file: 'Dockerfile', absolutePath: '/repo/org/services/legacy/api/Dockerfile' }), []);
    assert.deepEqual(ids(text, policyWith([w]), { file: 'Dockerfile', absolutePath: '/repo/org/services/new/Dockerfile' }), ['PL301', 'PL302']);
    const plain: Waiver = { rules: ['PL301'], file: 'legacy/*', reason: 'r' };
    assert.deepEqual(ids(text, policyWith([plain]), { file: 'legacy/Dockerfile' }), ['PL302']);
  });
  test('an expired waiver hides nothing and is reported at what it no longer hides', () => {
    const r = lint({ text, policy: policyWith([{ rules: ['PL301'], reason: 'r', expires: '2026-06-14' }]), today: '2026-06-15' });
    assert.deepEqual(r.findings.map((f) => f.ruleId), ['PL301', 'PL901', 'PL302']);
    assert.deepEqual(r.findings[1]!.range, r.findings[0]!.range);
    assert.deepEqual(ids(text, policyWith([{ rules: ['PL301'], reason: 'r', expires: '2026-06-15' }])), ['PL302']);
  });
  test('suppressed findings are kept with their reason', () => {
    const r = lint({ text, policy: policyWith([{ rules: ['PL301'], reason: 'OPS-1' }]) });
    assert.deepEqual(r.suppressed.map((f) => [f.ruleId, f.suppressed]), [['PL301', { by: 'waiver', reason: 'OPS-1' }]]);
  });
});

describe('inline pragmas', () => {
  test('plimsoll and hadolint pragmas cover the next instruction only', () => {
    const text = '# plimsoll ignore=PL301 reason="ok"\nFROM node AS a\nFROM node AS b\n# hadolint ignore=DL3007\nFROM alpine:latest\n';
    assert.deepEqual(ids(text, defaultPolicy()), ['PL301']);
  });
  test('hadolint global ignore covers the file', () => {
    assert.deepEqual(ids('# hadolint global ignore=DL3006\nFROM node AS a\nFROM node\n', defaultPolicy()), []);
  });
  test('a pragma above a multi-line instruction covers all its lines', () => {
    assert.deepEqual(ids('# plimsoll ignore=PL301\nCOPY \\\n  --from=alpine /a /a\n', defaultPolicy()).length, 0);
  });
  test('forbidden by policy: pragmas hide nothing and are reported', () => {
    const r = ids('# plimsoll ignore=PL301 reason="x"\nFROM node\n', policyWith([], false));
    assert.deepEqual(r.sort(), ['PL301', 'PL902']);
  });
});
