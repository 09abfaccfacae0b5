import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodePolicyBytes, findPolicyFile, loadPolicy } from '../../server/src/policy/load.ts';
import { parseImageRef } from '../../server/src/core/imageRef.ts';
import { replacementTarget } from '../../server/src/core/registryView.ts';
import { at, brief, expected } from './helpers.ts';

let root = '';
function write(rel: string, text: string | Uint8Array): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'plimsoll-policy-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('extends', () => {
  test('a chain with relative paths, most general first', () => {
    const org = write('org/.plimsoll.yaml', 'pinning:\n  level: digest\n  scope: final\nimages:\n  deny:\n    - image: ubuntu\n      reason: EOL\nwaivers:\n  - rules: [PL101]\n    file: legacy/**\n    reason: org\n');
    const team = write('teams/a/team.yaml', 'extends: ../../org/.plimsoll.yaml\npinning:\n  level: tag\nrules:\n  PL303: error\n');
    const repo = write('repos/x/.plimsoll.yaml', 'extends:\n  - ../../teams/a/team.yaml\nsizes:\n  layer: 1MB\nwaivers:\n  - rules: [PL303]\n    reason: repo\n');
    const { policy, errors } = loadPolicy(repo);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy.files, [org, team, repo]);
    assert.deepEqual(policy.pinning, { level: 'tag', scope: 'final', precision: 'any', stages: {} });
    assert.deepEqual(policy.rules, { PL303: { severity: 'error' } });
    assert.equal(policy.sizes.layer, 1_000_000);
    assert.deepEqual(policy.deniedImages.map((d) => d.source?.file), [org]);
    assert.deepEqual(policy.waivers.map((w) => [w.reason, w.baseDir, w.source?.file]), [
      ['org', dirname(org), org],
      ['repo', dirname(repo), repo],
    ]);
    assert.deepEqual(policy.sources?.['pinning.level'], { file: team, line: 3, column: 3 });
    assert.deepEqual(policy.sources?.['pinning.scope'], { file: org, line: 3, column: 3 });
  });

  test('replacements and builds: the child\'s entries come first, so its mapping wins; each keeps its own file', () => {
    const orgText = [
      'images:',
      '  replacements:',
      '    - from: node',
      '      to: registry.acme.internal/org/node',
      '    - from: python',
      '      to: registry.acme.internal/org/python',
      'pinning:',
      '  platformDigests: true',
      '  bump: minor',
      'builds:',
      '  - dockerfile: "**/Dockerfile"',
      '    image: registry.acme.internal/org/any',
      '',
    ].join('\n');
    const org = write('mappings/org/.plimsoll.yaml', orgText);
    const repoText = 'extends: ../org/.plimsoll.yaml\nimages:\n  replacements:\n    - from: node\n      to: registry.acme.internal/team/node:20\npinning:\n  bump: patch\nbuilds:\n  - dockerfile: api/Dockerfile\n    image: registry.acme.internal/team/api\n';
    const repo = write('mappings/repo/.plimsoll.yaml', repoText);
    const { policy, errors } = loadPolicy(repo);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy.replacements?.map((r) => [r.to, r.source?.file]), [
      ['registry.acme.internal/team/node:20', repo],
      ['registry.acme.internal/org/node', org],
      ['registry.acme.internal/org/python', org],
    ]);
    // The engine takes the first match: the child's for node, the parent's for python.
    const target = (image: string): string | undefined => {
      const t = replacementTarget(parseImageRef(image)!, policy);
      return t && `${t.registry}/${t.repository}${t.tag !== undefined ? `:${t.tag}` : ''}`;
    };
    assert.equal(target('node:18'), 'registry.acme.internal/team/node:20');
    assert.equal(target('python:3.11'), 'registry.acme.internal/org/python');
    assert.equal(target('ruby:3'), undefined);
    assert.deepEqual(policy.builds?.map((b) => [b.dockerfile, b.source?.file]), [
      ['api/Dockerfile', repo],
      ['**/Dockerfile', org],
    ]);
    assert.equal(policy.pinning.platformDigests, true);
    assert.equal(policy.pinning.bump, 'patch');
    assert.deepEqual(policy.sources?.['pinning.bump'], { file: repo, ...at(repoText, 'bump:') });
    assert.deepEqual(policy.sources?.['pinning.platformDigests'], { file: org, ...at(orgText, 'platformDigests:') });
  });

  test('a file extended twice (a diamond) is applied once', () => {
    const base = write('diamond/base.yaml', 'images:\n  deny:\n    - image: centos\n      reason: EOL\n');
    const a = write('diamond/a.yaml', 'extends: base.yaml\n');
    const b = write('diamond/b.yaml', 'extends: ./base.yaml\n');
    const top = write('diamond/top.yaml', 'extends: [a.yaml, b.yaml]\n');
    const { policy, errors } = loadPolicy(top);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy.files, [base, a, b, top]);
    assert.equal(policy.deniedImages.length, 1);
  });

  test('a cycle is reported at the extends entry that closes it, and the rest still loads', () => {
    const aText = 'extends: b.yaml\npinning:\n  level: digest\n';
    const bText = 'rules:\n  PL101: off\nextends:\n  - ./a.yaml\n';
    const a = write('cycle/a.yaml', aText);
    const b = write('cycle/b.yaml', bText);
    const { policy, errors } = loadPolicy(a);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[b, expected(bText, 'error', 'extends-cycle', './a.yaml')]]);
    assert.equal(policy.pinning.level, 'digest');
    assert.deepEqual(policy.rules, { PL101: { severity: 'off' } });
    assert.deepEqual(policy.files, [b, a]);
  });

  test('a file that extends itself', () => {
    const text = 'extends: self.yaml\n';
    const self = write('cycle/self.yaml', text);
    const { errors } = loadPolicy(self);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[self, expected(text, 'error', 'extends-cycle', 'self.yaml')]]);
  });

  test('a missing file is reported at the extends value', () => {
    const text = 'extends:\n  - ../nowhere/.plimsoll.yaml\n  - ok.yaml\n';
    write('missing/ok.yaml', 'pinning:\n  level: none\n');
    const p = write('missing/.plimsoll.yaml', text);
    const { policy, errors } = loadPolicy(p);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[p, expected(text, 'error', 'extends-missing', '../nowhere')]]);
    assert.equal(policy.pinning.level, 'none');
  });

  test('a folder given as a policy file', () => {
    const text = 'extends: sub\n';
    mkdirSync(join(root, 'dir/sub'), { recursive: true });
    const p = write('dir/.plimsoll.yaml', text);
    const { errors } = loadPolicy(p);
    assert.deepEqual(errors.map(brief), [expected(text, 'error', 'read', 'sub')]);
  });

  test('errors inside an extended file name that file', () => {
    const parentText = 'pinning:\n  level: digset\n';
    const parent = write('nested-errors/parent.yaml', parentText);
    const child = write('nested-errors/child.yaml', 'extends: parent.yaml\n');
    const { errors } = loadPolicy(child);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[parent, expected(parentText, 'error', 'enum', 'digset')]]);
  });

  test('a missing root file is an error at 1:1 with the default policy', () => {
    const p = join(root, 'none/.plimsoll.yaml');
    const { policy, errors } = loadPolicy(p);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[p, 'error read 1:1']]);
    assert.deepEqual(policy.files, []);
  });

  test('a very long chain stops with an error instead of recursing without end', () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 100; i++) files.set(`/chain/${i}.yaml`, `extends: ${i + 1}.yaml\n`);
    files.set('/chain/100.yaml', 'pinning:\n  level: none\n');
    const { errors } = loadPolicy('/chain/0.yaml', { readFile: (p) => files.get(p) ?? missing() });
    assert.deepEqual(errors.map((e) => e.code), ['extends-depth']);
  });
});

function missing(): never {
  throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
}

describe('reading files', () => {
  test('readFile can be injected', () => {
    const files: Record<string, string> = {
      '/v/org.yaml': 'registries:\n  trusted: [ghcr.io]\n',
      '/v/repo/.plimsoll.yaml': 'extends: ../org.yaml\n',
    };
    const { policy, errors } = loadPolicy('/v/repo/.plimsoll.yaml', { readFile: (p) => files[p] ?? missing() });
    assert.deepEqual(errors, []);
    assert.deepEqual(policy.trustedRegistries, ['ghcr.io']);
  });

  test('knownRuleIds reach the parser', () => {
    const { errors } = loadPolicy('/k.yaml', { readFile: () => 'rules:\n  PL999: off\n', knownRuleIds: new Set(['PL101']) });
    assert.deepEqual(errors.map(brief), ['warning unknown-rule 2:3']);
  });

  test('a binary file is an error at 1:1 of that file, reported fast', () => {
    const png = write('bin/logo.yaml', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const p = write('bin/.plimsoll.yaml', 'extends: logo.yaml\npinning:\n  level: digest\n');
    const { policy, errors } = loadPolicy(p);
    assert.deepEqual(errors.map((e) => [e.file, brief(e)]), [[png, 'error binary 1:1']]);
    assert.equal(policy.pinning.level, 'digest');
  });

  test('a 10 MB file is refused without reading it all', () => {
    const big = write('big/.plimsoll.yaml', 'rules: {}\n'.repeat(1_000_000));
    const t0 = performance.now();
    const { errors } = loadPolicy(big);
    assert.deepEqual(errors.map(brief), ['error too-large 1:1']);
    assert.ok(performance.now() - t0 < 500);
  });

  test('encodings: UTF-8 with BOM is fine; UTF-16 and invalid UTF-8 are refused', () => {
    assert.deepEqual(decodePolicyBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3a, 0x20, 0x31])), { text: 'a: 1' });
    assert.equal((decodePolicyBytes(new Uint8Array([0xff, 0xfe, 0x61, 0x00])) as { code: string }).code, 'encoding');
    assert.equal((decodePolicyBytes(new Uint8Array([0x61, 0xc3, 0x28])) as { code: string }).code, 'encoding');
    const p = write('bom/.plimsoll.yaml', '\ufeffpinning:\n  level: none\n');
    assert.equal(loadPolicy(p).policy.pinning.level, 'none');
  });
});

describe('findPolicyFile', () => {
  test('walks up to the nearest .plimsoll.yaml, then .plimsoll.yml', () => {
    const top = write('find/.plimsoll.yaml', '');
    const yml = write('find/a/.plimsoll.yml', '');
    mkdirSync(join(root, 'find/a/b/c'), { recursive: true });
    assert.equal(findPolicyFile(join(root, 'find/a/b/c')), yml);
    assert.equal(findPolicyFile(join(root, 'find')), top);
    write('find/a/.plimsoll.yaml', '');
    assert.equal(findPolicyFile(join(root, 'find/a/b')), join(root, 'find/a/.plimsoll.yaml'));
  });

  test('stops after stopAt', () => {
    write('stop/.plimsoll.yaml', '');
    mkdirSync(join(root, 'stop/ws/src'), { recursive: true });
    assert.equal(findPolicyFile(join(root, 'stop/ws/src'), join(root, 'stop/ws')), undefined);
    assert.equal(findPolicyFile(join(root, 'stop/ws/src'), join(root, 'stop')), join(root, 'stop/.plimsoll.yaml'));
  });

  test('a folder named .plimsoll.yaml is not a policy file', () => {
    mkdirSync(join(root, 'fake/.plimsoll.yaml'), { recursive: true });
    assert.equal(findPolicyFile(join(root, 'fake'), join(root, 'fake')), undefined);
  });

  test('the file check can be injected', () => {
    const seen: string[] = [];
    const found = findPolicyFile('/a/b', undefined, (p) => {
      seen.push(p);
      return p === '/a/.plimsoll.yml';
    });
    assert.equal(found, '/a/.plimsoll.yml');
    assert.deepEqual(seen, ['/a/b/.plimsoll.yaml', '/a/b/.plimsoll.yml', '/a/.plimsoll.yaml', '/a/.plimsoll.yml']);
  });
});
