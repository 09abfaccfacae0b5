// No secret value ever leaves the engine: planted secrets of every kind go through lint(), and no run of 6+
// characters of any of them (beyond the public prefix a mask may keep, such as `ghp_`) appears anywhere in
// the findings: messages, fix titles and edits, fingerprints, suppressed findings included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lint } from '../../server/src/core/lint.ts';
import { defaultPolicy } from '../../server/src/core/policy.ts';
import type { BuildContextFacts } from '../../server/src/core/context.ts';

import { DOCKERFILE, S, SECRETS, leaks } from '../support/planted.ts';

function facts(): BuildContextFacts {
  return { files: [{ path: '.npmrc', size: 40 }, { path: '.env', size: 30 }, { path: 'package.json', size: 200 }], dockerignore: { text: 'node_modules\n', file: '.dockerignore', exists: true } };
}

test('the Dockerfile really holds every planted secret', () => {
  for (const [name, p] of Object.entries(SECRETS)) assert.ok(DOCKERFILE.includes(p.value), name);
});

test('every planted secret is found, one finding each', () => {
  const policy = defaultPolicy();
  policy.secrets.patterns = [{ id: 'acme', description: 'ACME token', regex: 'acme_[a-z0-9]{32}' }];
  const result = lint({ text: DOCKERFILE, policy, buildContext: facts(), today: '2026-06-15' });
  const all = [...result.findings, ...result.suppressed].filter((f) => f.ruleId === 'PL402');
  const index = result.model.index;
  const tokens = all.map((f) => index.slice(f.range));
  for (const [name, p] of Object.entries(SECRETS)) {
    if (name === 'keyLine1' || name === 'keyLine2') continue;
    assert.ok(tokens.some((t) => t.includes(p.value)), `${name} not reported`);
  }
  assert.ok(tokens.some((t) => t.includes(S.keyLine1) && t.includes(S.keyLine2)), 'private key not reported');
  assert.equal(new Set(tokens).size, tokens.length, 'a token reported twice');
});

test('no secret, nor any 6-character piece of one, appears in the findings', () => {
  const policy = defaultPolicy();
  policy.secrets.patterns = [{ id: 'acme', description: 'ACME token', regex: 'acme_[a-z0-9]{32}' }];
  for (const buildContext of [facts(), undefined]) {
    const result = lint({ text: DOCKERFILE, policy, ...(buildContext ? { buildContext } : {}), today: '2026-06-15' });
    const secretFindings = [...result.findings, ...result.suppressed].filter((f) => f.category === 'secret');
    assert.ok(secretFindings.some((f) => f.ruleId === 'PL401'));
    assert.ok(secretFindings.some((f) => f.ruleId === 'PL402'));
    assert.ok(secretFindings.some((f) => f.ruleId === 'PL403'));
    assert.ok(secretFindings.some((f) => f.ruleId === 'PL404'));
    assert.ok(result.suppressed.some((f) => f.ruleId === 'PL402'));
    assert.deepEqual(leaks(JSON.stringify(result.findings)), []);
    assert.deepEqual(leaks(JSON.stringify(result.suppressed)), []);
  }
});

test('the report keys behind fingerprints do not depend on the value', () => {
  const a = lint({ text: `FROM alpine:3.20.1\nENV DB_PASSWORD=${S.envPassword}\nRUN echo ${S.ghp}\n`, today: '2026-06-15' }).findings;
  const b = lint({ text: `FROM alpine:3.20.1\nENV DB_PASSWORD=Xr7nB2kW9qL5\nRUN echo ghp_ZhR8QZxex99KS9msmuex5TxTJdv4UhlkICZY\n`, today: '2026-06-15' }).findings;
  assert.deepEqual(a.map((f) => f.fingerprint), b.map((f) => f.fingerprint));
});
