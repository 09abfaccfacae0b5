import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';
import { mergePolicies } from '../../server/src/policy/merge.ts';

const src = (file: string, line: number): { file: string; line: number; column: number } => ({ file, line, column: 3 });

function parent(): Policy {
  return mergePolicies(defaultPolicy(), {
    allowedImages: [{ image: 'docker.io/library/node' }],
    deniedImages: [{ image: 'docker.io/library/ubuntu', tags: ['14.04'], reason: 'EOL' }],
    trustedRegistries: ['docker.io'],
    pinning: { level: 'digest', scope: 'final', stages: { builder: 'tag', test: 'none' } },
    sizes: { baseImage: 300, layer: 100 },
    secrets: {
      patterns: [{ id: 'a', description: 'A', regex: 'a_[0-9]+' }, { id: 'b', description: 'B', regex: 'b_[0-9]+' }],
      allowedNames: ['PUBLIC_*'],
      sensitiveFiles: ['*.p12'],
    },
    rules: { PL101: { severity: 'error' }, PL303: { severity: 'warning' } },
    waivers: [{ rules: ['PL101'], reason: 'org' }],
    allowInlineSuppression: false,
    files: ['/org/.plimsoll.yaml'],
    sources: { 'pinning.level': src('/org/.plimsoll.yaml', 2), 'sizes.layer': src('/org/.plimsoll.yaml', 9) },
  });
}

test('merging onto the default policy applies exactly what is given', () => {
  const p = parent();
  assert.equal(p.pinning.precision, 'any'); // default kept
  assert.equal(p.pinning.level, 'digest');
  assert.deepEqual(p.files, ['/org/.plimsoll.yaml']);
});

test('an empty child changes nothing but the file list', () => {
  const p = parent();
  assert.deepEqual(mergePolicies(p, { files: ['/repo/.plimsoll.yaml'] }), { ...p, files: ['/org/.plimsoll.yaml', '/repo/.plimsoll.yaml'] });
});

test('lists: allow and deny are unioned, waivers concatenated, parent first', () => {
  const m = mergePolicies(parent(), {
    allowedImages: [{ image: 'docker.io/library/python' }],
    deniedImages: [{ image: 'docker.io/library/centos', reason: 'EOL' }],
    waivers: [{ rules: ['PL303'], reason: 'repo' }],
  });
  assert.deepEqual(m.allowedImages?.map((x) => x.image), ['docker.io/library/node', 'docker.io/library/python']);
  assert.deepEqual(m.deniedImages.map((x) => x.image), ['docker.io/library/ubuntu', 'docker.io/library/centos']);
  assert.deepEqual(m.waivers.map((w) => w.reason), ['org', 'repo']);
});

test('allow: no allowlist anywhere stays none; a child may introduce one; a child can not drop one', () => {
  assert.equal(mergePolicies(defaultPolicy(), {}).allowedImages, undefined);
  assert.deepEqual(mergePolicies(defaultPolicy(), { allowedImages: [] }).allowedImages, []);
  assert.deepEqual(mergePolicies(parent(), {}).allowedImages?.length, 1);
  assert.deepEqual(mergePolicies(parent(), { allowedImages: [] }).allowedImages?.length, 1);
});

test('trusted registries: the child replaces only when it gives a list', () => {
  assert.deepEqual(mergePolicies(parent(), {}).trustedRegistries, ['docker.io']);
  assert.deepEqual(mergePolicies(parent(), { trustedRegistries: ['ghcr.io'] }).trustedRegistries, ['ghcr.io']);
  assert.equal(mergePolicies(defaultPolicy(), {}).trustedRegistries, undefined);
});

test('scalars: the child wins where it sets them; stages and rules per key', () => {
  const m = mergePolicies(parent(), {
    pinning: { level: 'tag', stages: { builder: 'digest' } },
    sizes: { layer: 50 },
    rules: { PL303: { severity: 'error' }, PL901: { severity: 'off' }, PL101: {} },
    allowInlineSuppression: true,
  });
  assert.deepEqual(m.pinning, { level: 'tag', scope: 'final', precision: 'any', stages: { builder: 'digest', test: 'none' } });
  assert.deepEqual(m.sizes, { baseImage: 300, layer: 50 });
  assert.deepEqual(m.rules, { PL101: { severity: 'error' }, PL303: { severity: 'error' }, PL901: { severity: 'off' } });
  assert.equal(m.allowInlineSuppression, true);
  assert.equal(mergePolicies(parent(), {}).allowInlineSuppression, false);
});

test('secrets: patterns concatenated with same id replaced; names and files unioned', () => {
  const m = mergePolicies(parent(), {
    secrets: { patterns: [{ id: 'b', description: 'B2', regex: 'b2' }, { id: 'c', description: 'C', regex: 'c' }], allowedNames: ['PUBLIC_*', 'X'], sensitiveFiles: ['*.pem'] },
  });
  assert.deepEqual(m.secrets.patterns.map((p) => `${p.id}:${p.regex}`), ['a:a_[0-9]+', 'b:b2', 'c:c']);
  assert.deepEqual(m.secrets.allowedNames, ['PUBLIC_*', 'X']);
  assert.deepEqual(m.secrets.sensitiveFiles, ['*.p12', '*.pem']);
});

test('files are most general first without repeats; sources: the child wins per key', () => {
  const m = mergePolicies(parent(), { files: ['/repo/.plimsoll.yaml', '/org/.plimsoll.yaml'], sources: { 'pinning.level': src('/repo/.plimsoll.yaml', 4) } });
  assert.deepEqual(m.files, ['/org/.plimsoll.yaml', '/repo/.plimsoll.yaml']);
  assert.deepEqual(m.sources, { 'pinning.level': src('/repo/.plimsoll.yaml', 4), 'sizes.layer': src('/org/.plimsoll.yaml', 9) });
});

test('the arguments are not modified', () => {
  const p = parent();
  const before = structuredClone(p);
  const child = { deniedImages: [{ image: 'x', reason: 'y' }], pinning: { stages: { a: 'none' as const } }, rules: { PL1: { severity: 'info' as const } } };
  const childBefore = structuredClone(child);
  const m = mergePolicies(p, child);
  m.deniedImages.push({ image: 'z', reason: 'z' });
  m.pinning.stages['q'] = 'tag';
  m.rules['PL2'] = {};
  assert.deepEqual(p, before);
  assert.deepEqual(child, childBefore);
});
