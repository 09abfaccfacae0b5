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

test('replacements and builds: child entries first, then the parent\'s; absent stays absent', () => {
  const p = mergePolicies(parent(), {
    replacements: [{ from: 'docker.io/library/node', to: 'org/node', source: src('/org/.plimsoll.yaml', 20) }],
    builds: [{ dockerfile: '**/Dockerfile', image: 'org/any', source: src('/org/.plimsoll.yaml', 30) }],
  });
  const m = mergePolicies(p, {
    replacements: [{ from: 'docker.io/library/*', to: 'team/base' }, { from: 'docker.io/library/node', to: 'team/node' }],
    builds: [{ dockerfile: 'api/Dockerfile', image: 'team/api' }],
  });
  assert.deepEqual(m.replacements?.map((r) => r.to), ['team/base', 'team/node', 'org/node']);
  assert.deepEqual(m.builds?.map((b) => b.image), ['team/api', 'org/any']);
  // Entries keep their own source, so an inherited build stays relative to its own policy's folder.
  assert.deepEqual(m.builds?.[1]?.source, src('/org/.plimsoll.yaml', 30));
  assert.deepEqual(mergePolicies(p, {}).replacements?.map((r) => r.to), ['org/node']);
  assert.deepEqual(mergePolicies(p, { builds: [] }).builds?.map((b) => b.image), ['org/any']);
  assert.equal(mergePolicies(parent(), {}).replacements, undefined);
  assert.equal(mergePolicies(parent(), {}).builds, undefined);
  assert.deepEqual(mergePolicies(parent(), { builds: [] }).builds, []);
});

test('pinning.platformDigests and pinning.bump: the child wins when it sets them, else the parent\'s stay', () => {
  const p = mergePolicies(parent(), { pinning: { platformDigests: true, bump: 'minor' } });
  assert.deepEqual(p.pinning, { level: 'digest', scope: 'final', precision: 'any', stages: { builder: 'tag', test: 'none' }, platformDigests: true, bump: 'minor' });
  assert.deepEqual(mergePolicies(p, { pinning: { level: 'tag' } }).pinning, { ...p.pinning, level: 'tag' });
  const m = mergePolicies(p, { pinning: { platformDigests: false, bump: 'patch' } });
  assert.equal(m.pinning.platformDigests, false);
  assert.equal(m.pinning.bump, 'patch');
  // Unset anywhere: the engine's defaults apply (index digests, patch bumps).
  assert.equal(parent().pinning.platformDigests, undefined);
  assert.equal(parent().pinning.bump, undefined);
});

test('the arguments are not modified', () => {
  const p = parent();
  p.replacements = [{ from: 'a', to: 'b' }];
  p.builds = [{ dockerfile: 'Dockerfile', image: 'b' }];
  const before = structuredClone(p);
  const child = {
    deniedImages: [{ image: 'x', reason: 'y' }],
    replacements: [{ from: 'c', to: 'd' }],
    builds: [{ dockerfile: 'x/Dockerfile', image: 'd' }],
    pinning: { stages: { a: 'none' as const }, bump: 'minor' as const },
    rules: { PL1: { severity: 'info' as const } },
  };
  const childBefore = structuredClone(child);
  const m = mergePolicies(p, child);
  m.deniedImages.push({ image: 'z', reason: 'z' });
  m.replacements?.push({ from: 'e', to: 'f' });
  m.builds?.push({ dockerfile: 'y', image: 'f' });
  m.pinning.stages['q'] = 'tag';
  m.rules['PL2'] = {};
  assert.deepEqual(p, before);
  assert.deepEqual(child, childBefore);
});
