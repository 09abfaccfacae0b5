// Every YAML example in docs/policy.md is a valid policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brief, parse } from './helpers.ts';

test('the YAML examples in docs/policy.md parse without errors', () => {
  const md = readFileSync(join(__dirname, '..', '..', 'docs', 'policy.md'), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3);
  for (const block of blocks) assert.deepEqual(parse(block).errors.map(brief), [], block);
});

test('the YAML examples in docs/org-policy.md parse without errors', () => {
  const md = readFileSync(join(__dirname, '..', '..', 'docs', 'org-policy.md'), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2);
  for (const block of blocks) assert.deepEqual(parse(block).errors.map(brief), [], block);
});
