// An image reference built from a secret is never judged or shown by lint: no message carries its value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lint } from '../../server/src/core/lint.ts';
import { defaultPolicy } from '../../server/src/core/policy.ts';

test('FROM node:${NPM_TOKEN} and a literal token in a tag are reported as not judged, masked', () => {
  const token = 'npm_moX98H7ZIeUVTj08VCc8TqL19KSXjS4wnoc7';
  const policy = defaultPolicy();
  policy.allowedImages = [{ image: 'docker.io/library/alpine' }];
  policy.pinning = { level: 'digest', scope: 'all', precision: 'patch', stages: {} };
  const text = `ARG NPM_TOKEN=${token}\nFROM node:\${NPM_TOKEN} AS a\nFROM registry.example.com/app:${token}\n`;
  const r = lint({ text, policy, today: '2026-06-15' });
  const refs = r.findings.filter((f) => f.ruleId === 'PL903');
  assert.deepEqual(refs.map((f) => f.range.start.line), [1, 2]);
  assert.ok(!r.findings.some((f) => ['PL101', 'PL303', 'PL304'].includes(f.ruleId)), 'not judged');
  assert.ok(!JSON.stringify(r.findings).includes(token.slice(4, 14)), 'the token is not shown');
});
