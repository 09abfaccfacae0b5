// `locked`: a later file may tighten what an earlier one locked, never loosen it. Each loosening is an
// error at its own position in the later file, and the locked value stays in force.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPolicy, loadPolicyAsync } from '../../server/src/policy/load.ts';
import { integrityOf } from '../../server/src/policy/integrity.ts';
import { globCovers, matcherCovers } from '../../server/src/policy/locks.ts';
import { judgeImage } from '../../server/src/core/images.ts';
import { parseImageRef } from '../../server/src/core/imageRef.ts';
import { at } from './helpers.ts';

let root = '';
let n = 0;
function write(rel: string, text: string): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'plimsoll-locks-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const ORG = `locked:
  - images.allow
  - images.deny
  - registries.trusted
  - pinning
  - sizes.baseImage
  - secrets.allowedNames
  - secrets.patterns
  - suppression.inline
  - rules.PL401
images:
  allow:
    - image: node
      semver: ">=20 <23"
    - image: registry.acme.internal/golden/*
  deny:
    - image: ubuntu
      tags: ["16.04"]
      reason: EOL
registries:
  trusted: [docker.io, "*.acme.internal"]
pinning:
  level: tag
  scope: all
  precision: minor
sizes:
  baseImage: 300MB
secrets:
  allowedNames: [PUBLIC_KEY_URL, BUILD_ID]
  patterns: [{ id: acme, regex: "acme_[a-z0-9]{32}" }]
suppression:
  inline: false
rules:
  PL401: error
`;

/** Loads `child` extending the org policy above; returns the result and the child's path. */
function withOrg(child: string, org = ORG) {
  const dir = `case${++n}`;
  write(`${dir}/org.yaml`, org);
  const file = write(`${dir}/.plimsoll.yaml`, `extends: org.yaml\n${child}`);
  return { ...loadPolicy(file), file, text: `extends: org.yaml\n${child}` };
}

/** `[code, line, column]` of each error, for exact comparison. */
const where = (errors: { code?: string; line: number; column: number }[]) => errors.map((e) => [e.code, e.line, e.column]);
const expectAt = (text: string, ...needles: string[]) => needles.map((s) => ['locked', at(text, s).line, at(text, s).column]);

describe('tightening is accepted silently', () => {
  test('stricter scalars, smaller lists, smaller budgets, new patterns and more denies', () => {
    const r = withOrg(`pinning:
  level: digest
  precision: patch
images:
  allow:
    - image: node
      semver: ">=22 <23"
      variants: [alpine]
  deny:
    - image: node
      tags: ["21*"]
      reason: odd releases
registries:
  trusted: [registry.acme.internal]
sizes:
  baseImage: 200MB
secrets:
  allowedNames: [build_id]
  patterns: [{ id: acme2, regex: "acme2_[a-z]{8}" }]
suppression:
  inline: false
rules:
  PL401: error
  PL303: error
`);
    assert.deepEqual(r.errors, []);
    assert.equal(r.policy.pinning.level, 'digest');
    assert.equal(r.policy.pinning.precision, 'patch');
    assert.deepEqual(r.policy.trustedRegistries, ['registry.acme.internal']);
    assert.equal(r.policy.sizes.baseImage, 200_000_000);
    assert.equal(r.policy.deniedImages.length, 2);
    assert.equal(r.policy.allowedImages?.length, 3);
    assert.deepEqual(r.policy.secrets.patterns.map((p) => p.id), ['acme', 'acme2']);
    assert.deepEqual(Object.keys(r.policy.locked ?? {}).sort(), [
      'images.allow', 'images.deny', 'pinning.level', 'pinning.precision', 'pinning.scope', 'registries.trusted',
      'rules.PL401', 'secrets.allowedNames', 'secrets.patterns', 'sizes.baseImage', 'suppression.inline',
    ]);
    assert.deepEqual(r.policy.locked?.['pinning.scope'], { file: join(root, `case${n}`, 'org.yaml'), line: 5, column: 5 });
  });

  test('an org without an allowlist or trusted list: any list tightens', () => {
    const r = withOrg('images:\n  allow:\n    - image: node\nregistries:\n  trusted: [ghcr.io]\n', 'locked: [images.allow, registries.trusted]\n');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.policy.trustedRegistries, ['ghcr.io']);
    assert.equal(r.policy.allowedImages?.length, 1);
  });
});

describe('loosening is an error where it is written, and the locked value stays', () => {
  test('scalars: pinning level, scope, precision, inline suppression, size budget', () => {
    const child = `pinning:
  level: none
  scope: final
  precision: major
suppression:
  inline: true
sizes:
  baseImage: 1GB
`;
    const r = withOrg(child);
    assert.deepEqual(where(r.errors), expectAt(r.text, 'level:', 'scope:', 'precision:', 'inline:', 'baseImage:'));
    assert.ok(r.errors.every((e) => e.file === r.file && e.severity === 'error'));
    assert.deepEqual(r.policy.pinning, { level: 'tag', scope: 'all', precision: 'minor', stages: {} });
    assert.equal(r.policy.allowInlineSuppression, false);
    assert.equal(r.policy.sizes.baseImage, 300_000_000);
    // Explain must not credit the refused settings to the child.
    assert.equal(r.policy.sources?.['pinning.level']?.file, join(root, `case${n}`, 'org.yaml'));
  });

  test('a stage override below the locked level', () => {
    const r = withOrg('pinning:\n  stages:\n    builder: none\n    final: digest\n');
    assert.deepEqual(where(r.errors), expectAt(r.text, 'builder:'));
    assert.deepEqual(r.policy.pinning.stages, { final: 'digest' });
  });

  test('lists: a registry and an allow entry that widen; a secret name not allowed; a replaced pattern', () => {
    const child = `registries:
  trusted: [docker.io, ghcr.io, registry.acme.internal]
images:
  allow:
    - image: node
      semver: ">=18"
    - image: registry.acme.internal/golden/node
    - image: python
secrets:
  allowedNames: [BUILD_ID, GITHUB_TOKEN]
  patterns: [{ id: acme, regex: "never" }]
`;
    const r = withOrg(child);
    assert.deepEqual(where(r.errors), expectAt(r.text, 'ghcr.io', 'image: node', 'image: python', 'GITHUB_TOKEN', '{ id: acme'));
    assert.deepEqual(r.policy.trustedRegistries, ['docker.io', 'registry.acme.internal']);
    assert.deepEqual(r.policy.allowedImages?.map((a) => a.image), ['docker.io/library/node', 'registry.acme.internal/golden/*', 'registry.acme.internal/golden/node']);
    assert.equal(judgeImage(parseImageRef('python:3.12')!, r.policy).kind, 'unapproved');
    assert.equal(judgeImage(parseImageRef('node:18.20.1')!, r.policy).kind, 'unapproved');
    assert.deepEqual(r.policy.secrets.allowedNames, ['PUBLIC_KEY_URL', 'BUILD_ID']);
    assert.deepEqual(r.policy.secrets.patterns.map((p) => p.regex), ['acme_[a-z0-9]{32}']);
  });

  test('guarded rules: no waiver and no lower severity for what a locked setting produces', () => {
    const child = `rules:
  PL102: warning
  PL201: off
  PL401: warning
  PL303: error
  PL505: off
waivers:
  - rules: [PL505]
    reason: fine, not guarded
  - rules: [PL102]
    reason: lifts a deny
  - rules: ["*"]
    reason: everything
`;
    const r = withOrg(child);
    assert.deepEqual(where(r.errors), expectAt(r.text, 'PL102: warning', 'PL201: off', 'PL401: warning', 'rules: [PL102]', 'rules: ["*"]'));
    assert.deepEqual(r.policy.rules, { PL401: { severity: 'error' }, PL303: { severity: 'error' }, PL505: { severity: 'off' } });
    assert.deepEqual(r.policy.waivers.map((w) => w.rules), [['PL505']]);
  });

  test('locked waivers and rules: no waivers at all, no severity goes down', () => {
    const r = withOrg('rules:\n  PL505: off\n  PL101: error\nwaivers:\n  - rules: [PL505]\n    reason: r\n', 'locked: [waivers, rules]\n');
    assert.deepEqual(where(r.errors), expectAt(r.text, 'PL505: off', 'rules: [PL505]'));
    assert.deepEqual(r.policy.rules, { PL101: { severity: 'error' } });
    assert.deepEqual(r.policy.waivers, []);
  });

  test('a lock reaches every later file, not just direct children; a later file cannot unlock', () => {
    write('chain/org.yaml', 'locked: [pinning.level]\npinning:\n  level: digest\n');
    write('chain/team.yaml', 'extends: org.yaml\nlocked: []\n');
    const text = 'extends: team.yaml\npinning:\n  level: tag\n';
    const repo = write('chain/.plimsoll.yaml', text);
    const r = loadPolicy(repo);
    assert.deepEqual(where(r.errors.filter((e) => e.code === 'locked')), expectAt(text, 'level:'));
    assert.equal(r.policy.pinning.level, 'digest');
  });

  test('a file may loosen its own settings: locks bind only files merged after it', () => {
    const r = loadPolicy(write('self/.plimsoll.yaml', 'locked: [pinning.level]\npinning:\n  level: none\n'));
    assert.deepEqual(r.errors, []);
    assert.equal(r.policy.pinning.level, 'none');
  });

  test('locks from a policy fetched by URL bind the local file the same way', async () => {
    const org = 'locked: [registries.trusted]\nregistries:\n  trusted: [docker.io]\n';
    const pin = integrityOf(org);
    const text = `extends:\n  - url: https://policies.acme.example/org.yaml\n    integrity: ${pin}\nregistries:\n  trusted: [docker.io, quay.io]\n`;
    const file = write('remote/.plimsoll.yaml', text);
    const r = await loadPolicyAsync(file, { fetchRemote: () => Promise.resolve({ bytes: org, fetchedAt: 0, fromCache: false }) });
    assert.deepEqual(where(r.errors), expectAt(text, 'quay.io'));
    assert.deepEqual(r.policy.trustedRegistries, ['docker.io']);
    assert.deepEqual(r.policy.locked?.['registries.trusted'], { file: 'https://policies.acme.example/org.yaml', line: 1, column: 10 });
  });
});

describe('coverage of globs and matchers', () => {
  test('globCovers', () => {
    assert.equal(globCovers('*.acme.internal', 'registry.acme.internal', true), true);
    assert.equal(globCovers('*.acme.internal', '*.internal', true), false);
    assert.equal(globCovers('docker.io/library/*', 'docker.io/library/n?de', false), true);
    assert.equal(globCovers('docker.io/library/node?', 'docker.io/library/node*', false), false);
    assert.equal(globCovers('docker.io/library/*', 'docker.io/library/**', false), false);
    assert.equal(globCovers('docker.io/**', 'docker.io/library/*', false), true);
    assert.equal(globCovers('Docker.IO', 'docker.io', true), true);
  });

  test('matcherCovers: tags, semver and variants may only narrow', () => {
    const node = { image: 'docker.io/library/node' };
    assert.equal(matcherCovers(node, { ...node, tags: ['20.*'] }), true);
    assert.equal(matcherCovers({ ...node, tags: ['20.*'] }, node), false);
    assert.equal(matcherCovers({ ...node, tags: ['20.*'] }, { ...node, tags: ['20.11.*'] }), true);
    assert.equal(matcherCovers({ ...node, semver: '>=20 <23' }, { ...node, semver: '^22' }), true);
    assert.equal(matcherCovers({ ...node, semver: '>=20 <23' }, { ...node, semver: '>=18' }), false);
    assert.equal(matcherCovers({ ...node, variants: ['alpine', 'slim'] }, { ...node, variants: ['alpine'] }), true);
    assert.equal(matcherCovers({ ...node, variants: ['alpine'] }, { ...node, variants: ['alpine', ''] }), false);
  });
});
