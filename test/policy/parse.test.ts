import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';
import { mergePolicies } from '../../server/src/policy/merge.ts';
import { parseImagePattern } from '../../server/src/policy/parse.ts';
import { at, brief, expected, FULL_EXAMPLE, parse } from './helpers.ts';

const FILE = '/repo/.plimsoll.yaml';
const src = (needle: string, nth = 1): { file: string; line: number; column: number } => ({ file: FILE, ...at(FULL_EXAMPLE, needle, nth) });

describe('the full example', () => {
  test('parses without errors into the expected policy', () => {
    const { policy: doc, errors } = parse(FULL_EXAMPLE);
    assert.deepEqual(errors, []);
    assert.ok(doc);
    assert.deepEqual(doc.extends.map((r) => [r.path, r.span.line, r.span.column]), [['../org/.plimsoll.yaml', 1, 10]]);
    const policy = mergePolicies(defaultPolicy(), doc.policy);
    const want: Policy = {
      allowedImages: [
        { image: 'docker.io/library/node', tags: ['20.*'], semver: '>=20.11 <21', variants: ['alpine', 'slim', ''], source: src('image: node') },
        { image: 'ghcr.io/acme/*', source: src('image: ghcr.io') },
      ],
      deniedImages: [
        { image: 'docker.io/library/ubuntu', tags: ['14.04', '16.04'], reason: 'End of life', replacement: 'ubuntu:24.04', source: src('image: ubuntu') },
      ],
      replacements: [
        { from: 'docker.io/library/python', to: 'registry.acme.internal/golden/python', source: src('from: python') },
        { from: 'ghcr.io/legacy/*', to: 'registry.acme.internal/golden/base:2', source: src('from: ghcr.io') },
      ],
      trustedRegistries: ['docker.io', 'ghcr.io', '*.acme.internal'],
      pinning: { level: 'digest', scope: 'final', precision: 'patch', stages: { builder: 'tag' }, platformDigests: true, bump: 'minor' },
      sizes: { baseImage: 300_000_000, layer: 100_000_000, copyContext: 50_000_000 },
      secrets: {
        patterns: [{ id: 'acme-token', description: 'ACME API token', regex: 'acme_[a-z0-9]{32}', source: src('{ id: acme-token') }],
        allowedNames: ['PUBLIC_KEY_URL'],
        sensitiveFiles: ['*.p12'],
      },
      rules: { PL303: { severity: 'error' }, PL101: { severity: 'warning' } },
      waivers: [
        {
          rules: ['PL101'],
          file: 'services/legacy/**',
          stage: 'builder',
          image: 'docker.io/library/centos*',
          reason: 'OPS-12 migration',
          owner: 'team-x',
          expires: '2027-01-31',
          source: src('rules: [PL101]'),
        },
      ],
      builds: [
        { dockerfile: 'services/api/Dockerfile', image: 'registry.acme.internal/team/api:main', source: src('dockerfile: ./services') },
        { dockerfile: 'services/*/Dockerfile', image: 'registry.acme.internal/team/services', source: src('{ dockerfile') },
      ],
      allowInlineSuppression: false,
      files: [FILE],
      sources: {
        'registries.trusted': src('trusted:'),
        'pinning.level': src('level:'),
        'pinning.scope': src('scope:'),
        'pinning.precision': src('precision:'),
        'pinning.stages.builder': src('builder: tag'),
        'pinning.platformDigests': src('platformDigests:'),
        'pinning.bump': src('bump:'),
        'sizes.baseImage': src('baseImage:'),
        'sizes.layer': src('layer:'),
        'sizes.copyContext': src('copyContext:'),
        'rules.PL303': src('PL303:'),
        'rules.PL101': src('PL101: {'),
        'suppression.inline': src('inline:'),
      },
    };
    assert.deepEqual(policy, want);
  });

  test('an empty file and a comment-only file are the default policy', () => {
    for (const text of ['', '# nothing yet\n', '---\n']) {
      const { policy, errors } = parse(text);
      assert.deepEqual(errors, []);
      assert.ok(policy);
      assert.deepEqual(mergePolicies(defaultPolicy(), policy.policy), { ...defaultPolicy(), files: [FILE] });
    }
  });

  test('CRLF line endings read the same, with the same positions', () => {
    const lf = parse(FULL_EXAMPLE);
    const crlf = parse(FULL_EXAMPLE.replace(/\n/g, '\r\n'));
    assert.deepEqual(crlf, lf);
    const bad = 'pinning:\r\n  level: digset\r\n';
    assert.deepEqual(parse(bad).errors.map(brief), ['error enum 2:10']);
  });

  test('every prefix of the example parses without throwing, with positions inside the text', () => {
    const lines = FULL_EXAMPLE.split('\n').length;
    for (let n = 0; n <= FULL_EXAMPLE.length; n++) {
      const { errors } = parse(FULL_EXAMPLE.slice(0, n));
      for (const e of errors) {
        assert.ok(e.line >= 1 && e.line <= lines && e.column >= 1, `prefix ${n}: ${JSON.stringify(e)}`);
        assert.ok(e.endLine === undefined || e.endLine > e.line || (e.endLine === e.line && (e.endColumn ?? 0) >= e.column));
      }
    }
  });
});

interface Case {
  name: string;
  yaml: string;
  /** [severity, code, needle, nth?] */
  want: [('error' | 'warning'), string, string, number?][];
  known?: string[];
  suggestion?: string;
}

const CASES: Case[] = [
  { name: 'YAML syntax: unclosed flow list', yaml: 'pinning:\n  scope: [final\nrules: {}\n', want: [['error', 'enum', '[final'], ['error', 'yaml-syntax', 'rules']] },
  { name: 'YAML syntax: tab indentation', yaml: 'pinning:\n  level: tag\n\tscope: all\n', want: [['error', 'yaml-syntax', '\tscope'], ['warning', 'unknown-key', 'scope']] },
  { name: 'YAML syntax: unknown tag', yaml: 'rules: !custom {}\n', want: [['warning', 'yaml-syntax', '!custom']] },
  { name: 'unknown top-level key', yaml: 'imags:\n  allow: []\n', want: [['warning', 'unknown-key', 'imags']], suggestion: 'images' },
  { name: 'unknown key in an entry', yaml: 'images:\n  allow:\n    - image: node\n      tag: ["20"]\n', want: [['warning', 'unknown-key', 'tag:']], suggestion: 'tags' },
  { name: 'snake_case key', yaml: 'sizes:\n  base_image: 1MB\n', want: [['warning', 'unknown-key', 'base_image']], suggestion: 'baseImage' },
  { name: 'duplicate key', yaml: 'pinning:\n  level: tag\n  level: digest\n', want: [['error', 'duplicate-key', 'level', 2]] },
  { name: 'section is not a mapping', yaml: 'images: [node]\n', want: [['error', 'type', '[node]']] },
  { name: 'list given as text', yaml: 'images:\n  allow:\n    - image: node\n      tags: "20.*"\n', want: [['error', 'type', '"20.*"']] },
  { name: 'list item of the wrong type', yaml: 'registries:\n  trusted: [docker.io, {a: 1}]\n', want: [['error', 'type', '{a: 1}']] },
  { name: 'allow entry is not a mapping', yaml: 'images:\n  allow:\n    - node\n', want: [['error', 'type', 'node']] },
  { name: 'boolean expected', yaml: 'suppression:\n  inline: "no"\n', want: [['error', 'type', '"no"']] },
  { name: 'top level is a list', yaml: '- a\n- b\n', want: [['error', 'type', '- a']] },
  { name: 'bad pinning level', yaml: 'pinning:\n  level: digset\n', want: [['error', 'enum', 'digset']], suggestion: 'digest' },
  { name: 'bad precision', yaml: 'pinning:\n  precision: 3\n', want: [['error', 'enum', '3']] },
  { name: 'bad stage level', yaml: 'pinning:\n  stages:\n    builder: tags\n', want: [['error', 'enum', 'tags']], suggestion: 'tag' },
  { name: 'empty enum', yaml: 'pinning:\n  scope:\n', want: [['error', 'required', 'scope']] },
  { name: 'bad rule severity shorthand', yaml: 'rules:\n  PL303: warn\n', want: [['error', 'enum', 'warn']], suggestion: 'warning' },
  { name: 'bad rule severity object', yaml: 'rules:\n  PL303: { severity: fatal }\n', want: [['error', 'enum', 'fatal']] },
  { name: 'unknown key in a rule setting', yaml: 'rules:\n  PL303: { severty: error }\n', want: [['warning', 'unknown-key', 'severty']], suggestion: 'severity' },
  { name: 'malformed rule id', yaml: 'rules:\n  pl303: error\n', want: [['error', 'rule-id', 'pl303']] },
  { name: 'unknown rule id', yaml: 'rules:\n  PL330: error\n', want: [['warning', 'unknown-rule', 'PL330']], known: ['PL303', 'PL101'], suggestion: 'PL303' },
  { name: 'unknown rule id in a waiver', yaml: 'waivers:\n  - rules: [PL999]\n    reason: r\n', want: [['warning', 'unknown-rule', 'PL999']], known: ['PL101'] },
  { name: 'invalid regex', yaml: "secrets:\n  patterns:\n    - id: x\n      regex: 'a(b'\n", want: [['error', 'regex', "'a(b'"]] },
  { name: 'inline regex flags', yaml: "secrets:\n  patterns:\n    - id: x\n      regex: '(?i)token'\n", want: [['error', 'regex', "'(?i)"]] },
  { name: 'regex matching empty text', yaml: "secrets:\n  patterns:\n    - id: x\n      regex: 'a*'\n", want: [['error', 'regex', "'a*'"]] },
  { name: 'pattern without regex', yaml: 'secrets:\n  patterns:\n    - id: x\n', want: [['error', 'required', 'id: x']] },
  { name: 'duplicate pattern id', yaml: 'secrets:\n  patterns:\n    - { id: x, regex: ab }\n    - { id: x, regex: cd }\n', want: [['error', 'duplicate-id', 'x', 3]] },
  { name: 'invalid semver range', yaml: 'images:\n  allow:\n    - image: node\n      semver: ">=twenty"\n', want: [['error', 'semver', '">=twenty"']] },
  { name: 'bad size string', yaml: 'sizes:\n  layer: 100 MBB\n', want: [['error', 'size', '100 MBB']] },
  { name: 'negative size', yaml: 'sizes:\n  layer: -5\n', want: [['error', 'size', '-5']] },
  { name: 'fractional bytes', yaml: 'sizes:\n  layer: 1.5\n', want: [['error', 'size', '1.5']] },
  { name: 'size of the wrong type', yaml: 'sizes:\n  layer: [1]\n', want: [['error', 'type', '[1]']] },
  { name: 'impossible date', yaml: 'waivers:\n  - rules: [PL101]\n    reason: r\n    expires: 2027-02-30\n', want: [['error', 'date', '2027-02-30']] },
  { name: 'date in another format', yaml: 'waivers:\n  - rules: [PL101]\n    reason: r\n    expires: 31/01/2027\n', want: [['error', 'date', '31/01/2027']] },
  { name: 'impossible date under YAML 1.1 (a Date object)', yaml: '%YAML 1.1\n---\nwaivers:\n  - rules: [PL101]\n    reason: r\n    expires: 2027-02-31\n', want: [['error', 'date', '2027-02-31']] },
  { name: 'waiver without reason', yaml: 'waivers:\n  - rules: [PL101]\n    owner: me\n', want: [['error', 'required', 'rules:']] },
  { name: 'waiver with an empty reason', yaml: 'waivers:\n  - rules: [PL101]\n    reason: ""\n', want: [['error', 'required', '""']] },
  { name: 'waiver without rules', yaml: 'waivers:\n  - reason: legacy\n', want: [['error', 'required', 'reason:']] },
  { name: 'waiver with no rules', yaml: 'waivers:\n  - rules: []\n    reason: legacy\n', want: [['error', 'required', '[]']] },
  { name: 'waiver with a malformed rule id', yaml: 'waivers:\n  - rules: [PL101, DL3007]\n    reason: r\n', want: [['error', 'rule-id', 'DL3007']] },
  { name: 'deny without reason', yaml: 'images:\n  deny:\n    - image: ubuntu\n', want: [['error', 'required', 'image:']] },
  { name: 'upper-case repository', yaml: 'images:\n  allow:\n    - image: Node\n', want: [['error', 'image', 'Node']] },
  { name: 'image with a digest', yaml: 'images:\n  allow:\n    - image: node@sha256:abc\n', want: [['error', 'image', 'node@']] },
  { name: 'tag both in image and tags', yaml: 'images:\n  allow:\n    - image: node:20\n      tags: ["20.*"]\n', want: [['error', 'tag', 'tags']] },
  { name: 'bad tag glob', yaml: 'images:\n  allow:\n    - image: node\n      tags: ["20 lts"]\n', want: [['error', 'tag', '"20 lts"']] },
  { name: 'bad replacement', yaml: 'images:\n  deny:\n    - image: ubuntu\n      reason: old\n      replacement: "Ubuntu 24"\n', want: [['error', 'image', '"Ubuntu 24"']] },
  { name: 'registry with a scheme', yaml: 'registries:\n  trusted: [docker.io, "https://ghcr.io"]\n', want: [['error', 'registry', '"https://']] },
  { name: 'extends by URL without an integrity pin', yaml: 'extends: [./base.yaml, https://example.com/p.yaml]\n', want: [['error', 'integrity', 'https://']] },
  { name: 'extends of the wrong type', yaml: 'extends: true\n', want: [['error', 'type', 'true']] },
  { name: 'extends mapping with an unknown key and no url', yaml: 'extends: {path: x, integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}\n', want: [['error', 'required', '{path'], ['warning', 'unknown-key', 'path']] },
  { name: 'extends URL over plain http', yaml: 'extends:\n  - url: http://policies.example.com/p.yaml\n    integrity: sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n', want: [['error', 'url', 'http://']] },
  { name: 'extends URL with credentials', yaml: 'extends:\n  - url: https://u:p@policies.example.com/p.yaml\n    integrity: sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n', want: [['error', 'url', 'https://u']] },
  { name: 'extends integrity of the wrong length', yaml: 'extends:\n  - url: https://policies.example.com/p.yaml\n    integrity: sha256-AAAA\n', want: [['error', 'integrity', 'sha256-AAAA']] },
  { name: 'extends integrity with an unknown algorithm', yaml: 'extends:\n  - url: https://policies.example.com/p.yaml\n    integrity: md5-1B2M2Y8AsgTpgAmY7PhCfg==\n', want: [['error', 'integrity', 'md5-']] },
  { name: 'locked names an unknown setting', yaml: 'locked: [pinning.level, pinning.levle, true]\n', want: [['error', 'enum', 'pinning.levle'], ['error', 'type', 'true']] },
  { name: 'unknown alias', yaml: 'rules: *nope\n', want: [['error', 'yaml-syntax', '*nope']] },

  // pinning.platformDigests and pinning.bump
  { name: 'platformDigests as text', yaml: 'pinning:\n  platformDigests: "yes"\n', want: [['error', 'type', '"yes"']] },
  { name: 'platformDigests as a YAML 1.1 word (text under YAML 1.2)', yaml: 'pinning:\n  platformDigests: on\n', want: [['error', 'type', 'on']] },
  { name: 'platformDigests as a number', yaml: 'pinning:\n  platformDigests: 1\n', want: [['error', 'type', '1']] },
  { name: 'platformDigests as a list', yaml: 'pinning:\n  platformDigests: [linux/amd64]\n', want: [['error', 'type', '[linux']] },
  { name: 'empty platformDigests', yaml: 'pinning:\n  platformDigests:\n', want: [['error', 'required', 'platformDigests']] },
  { name: 'misspelt platformDigests', yaml: 'pinning:\n  platformDigest: true\n', want: [['warning', 'unknown-key', 'platformDigest']], suggestion: 'platformDigests' },
  { name: 'bump beyond the major', yaml: 'pinning:\n  bump: major\n', want: [['error', 'enum', 'major']] },
  { name: 'misspelt bump', yaml: 'pinning:\n  bump: minr\n', want: [['error', 'enum', 'minr']], suggestion: 'minor' },
  { name: 'bump as a number', yaml: 'pinning:\n  bump: 1\n', want: [['error', 'enum', '1']] },
  { name: 'empty bump', yaml: 'pinning:\n  bump:\n', want: [['error', 'required', 'bump']] },
  { name: 'bump as a mapping', yaml: 'pinning:\n  bump: { to: minor }\n', want: [['error', 'enum', '{ to']] },

  // images.replacements
  { name: 'replacements not a list', yaml: 'images:\n  replacements: { from: node, to: x/node }\n', want: [['error', 'type', '{ from']] },
  { name: 'replacement entry not a mapping', yaml: 'images:\n  replacements:\n    - node\n', want: [['error', 'type', 'node']] },
  { name: 'replacement without to', yaml: 'images:\n  replacements:\n    - from: node\n', want: [['error', 'required', 'from:']] },
  { name: 'replacement without from (flow)', yaml: 'images:\n  replacements: [{ to: acme/node }]\n', want: [['error', 'required', '{ to']] },
  { name: 'misspelt from', yaml: 'images:\n  replacements:\n    - form: node\n      to: acme/node\n', want: [['warning', 'unknown-key', 'form'], ['error', 'required', 'form']], suggestion: 'from' },
  { name: 'empty from', yaml: 'images:\n  replacements:\n    - from:\n      to: acme/node\n', want: [['error', 'required', 'from']] },
  { name: 'from as a list', yaml: 'images:\n  replacements:\n    - from: [node, python]\n      to: acme/base\n', want: [['error', 'type', '[node']] },
  { name: 'from in upper case', yaml: 'images:\n  replacements:\n    - from: Node\n      to: acme/node\n', want: [['error', 'image', 'Node']] },
  { name: 'from with a digest', yaml: 'images:\n  replacements:\n    - from: node@sha256:abc\n      to: acme/node\n', want: [['error', 'image', 'node@']] },
  { name: 'from with a variable', yaml: 'images:\n  replacements:\n    - from: $BASE\n      to: acme/node\n', want: [['error', 'image', '$BASE']] },
  { name: 'from with a tag', yaml: 'images:\n  replacements:\n    - from: node:20\n      to: acme/node\n', want: [['error', 'tag', 'node:20']], suggestion: 'node' },
  { name: 'to that is not a reference', yaml: 'images:\n  replacements:\n    - from: node\n      to: "Golden Node"\n', want: [['error', 'image', '"Golden']] },
  { name: 'to in upper case', yaml: 'images:\n  replacements:\n    - from: node\n      to: acme/Node\n', want: [['error', 'image', 'acme/Node']] },
  { name: 'to with a digest', yaml: `images:\n  replacements:\n    - from: node\n      to: acme/node@sha256:${'a'.repeat(64)}\n`, want: [['error', 'image', 'acme/node@']] },
  { name: 'to as a glob', yaml: 'images:\n  replacements:\n    - from: node\n      to: acme/*\n', want: [['error', 'image', 'acme/*']] },
  { name: 'to with a scheme', yaml: 'images:\n  replacements:\n    - from: node\n      to: https://registry.acme.internal/node\n', want: [['error', 'image', 'https']] },
  { name: 'to with a variable', yaml: 'images:\n  replacements:\n    - from: node\n      to: ${REGISTRY}/node\n', want: [['error', 'image', '${REGISTRY}']] },
  { name: 'to with a bad tag', yaml: 'images:\n  replacements:\n    - from: node\n      to: "acme/node:20 lts"\n', want: [['error', 'image', '"acme']] },
  { name: 'empty to', yaml: 'images:\n  replacements:\n    - from: node\n      to: ""\n', want: [['error', 'required', '""']] },
  { name: 'to as a mapping', yaml: 'images:\n  replacements:\n    - from: node\n      to: { image: acme/node }\n', want: [['error', 'type', '{ image']] },
  {
    name: 'the same from twice (normalised) is a warning at the second',
    yaml: 'images:\n  replacements:\n    - from: node\n      to: acme/node\n    - from: docker.io/library/node\n      to: other/node\n',
    want: [['warning', 'duplicate-id', 'docker.io/library/node']],
  },

  // builds
  { name: 'builds not a list', yaml: 'builds: { dockerfile: Dockerfile, image: acme/app }\n', want: [['error', 'type', '{ dockerfile']] },
  { name: 'builds given as text', yaml: 'builds: Dockerfile\n', want: [['error', 'type', 'Dockerfile']] },
  { name: 'build entry not a mapping', yaml: 'builds:\n  - Dockerfile\n', want: [['error', 'type', 'Dockerfile']] },
  { name: 'build without image', yaml: 'builds:\n  - dockerfile: Dockerfile\n', want: [['error', 'required', 'dockerfile:']] },
  { name: 'build without dockerfile', yaml: 'builds:\n  - image: acme/app\n', want: [['error', 'required', 'image:']] },
  { name: 'misspelt dockerfile', yaml: 'builds:\n  - dockerFile: Dockerfile\n    image: acme/app\n', want: [['warning', 'unknown-key', 'dockerFile'], ['error', 'required', 'dockerFile']], suggestion: 'dockerfile' },
  { name: 'absolute dockerfile', yaml: 'builds:\n  - dockerfile: /src/app/Dockerfile\n    image: acme/app\n', want: [['error', 'path', '/src']] },
  { name: 'Windows-absolute dockerfile', yaml: 'builds:\n  - dockerfile: "C:/src/Dockerfile"\n    image: acme/app\n', want: [['error', 'path', '"C:']] },
  { name: 'dockerfile with backslashes', yaml: "builds:\n  - dockerfile: 'services\\api\\Dockerfile'\n    image: acme/app\n", want: [['error', 'path', "'services"]] },
  { name: 'dockerfile outside the folder', yaml: 'builds:\n  - dockerfile: ../other/Dockerfile\n    image: acme/app\n', want: [['error', 'path', '../other']] },
  { name: 'dockerfile that names no file', yaml: 'builds:\n  - dockerfile: ./\n    image: acme/app\n', want: [['error', 'path', './']] },
  { name: 'dockerfile as a list', yaml: 'builds:\n  - dockerfile: [a, b]\n    image: acme/app\n', want: [['error', 'type', '[a, b]']] },
  { name: 'empty dockerfile', yaml: 'builds:\n  - dockerfile: ""\n    image: acme/app\n', want: [['error', 'required', '""']] },
  { name: 'build image that is not a reference', yaml: 'builds:\n  - dockerfile: Dockerfile\n    image: "my app"\n', want: [['error', 'image', '"my app"']] },
  { name: 'build image as a glob', yaml: 'builds:\n  - dockerfile: Dockerfile\n    image: acme/app:*\n', want: [['error', 'image', 'acme/app:*']] },
  { name: 'build image with a variable', yaml: 'builds:\n  - dockerfile: Dockerfile\n    image: acme/app:$TAG\n', want: [['error', 'image', 'acme/app:$TAG']] },
  { name: 'build image with a bad digest', yaml: 'builds:\n  - dockerfile: Dockerfile\n    image: acme/app@sha256:abc\n', want: [['error', 'image', 'acme/app@']] },
  { name: 'empty build image', yaml: 'builds:\n  - dockerfile: Dockerfile\n    image:\n', want: [['error', 'required', 'image']] },
  {
    name: 'the same dockerfile twice (after ./) is a warning at the second',
    yaml: 'builds:\n  - dockerfile: api/Dockerfile\n    image: acme/api\n  - dockerfile: ./api/Dockerfile\n    image: acme/api2\n',
    want: [['warning', 'duplicate-id', './api/Dockerfile']],
  },
];

describe('each mistake is reported at its own position', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const { errors } = parse(c.yaml, c.known ? new Set(c.known) : undefined);
      const want = c.want.map(([sev, code, needle, nth]) => expected(c.yaml, sev, code, needle, nth));
      assert.deepEqual(errors.map(brief).sort(), want.sort());
      for (const e of errors) assert.equal(e.file, FILE);
      if (c.suggestion !== undefined) assert.equal(errors[0]?.suggestion, c.suggestion);
    });
  }

  test('errors carry an end position after their start', () => {
    const yaml = 'pinning:\n  level: digset\n';
    const [e] = parse(yaml).errors;
    assert.deepEqual([e?.line, e?.column, e?.endLine, e?.endColumn], [2, 10, 2, 16]);
  });
});

describe('a partly broken document keeps what is valid', () => {
  const yaml = `imags: {}
images:
  allow:
    - image: Node
    - image: python
      tags: ["3.12"]
  deny:
    - image: centos
      reason: EOL
    - image: ubuntu
pinning:
  level: digset
  scope: final
sizes:
  layer: lots
  baseImage: 1GiB
rules:
  PL303: warn
  PL101: off
secrets:
  patterns:
    - { id: bad, regex: "(" }
    - { id: good, regex: "tok_[0-9]+" }
  allowedNames: [A, 3, [x], B]
waivers:
  - rules: [PL101]
    reason: r
    expires: 2027-02-30
  - rules: [PL101]
    reason: kept
suppression:
  inline: false
`;
  const { policy, errors } = parse(yaml);

  test('the valid parts are kept', () => {
    assert.ok(policy);
    const p = policy.policy;
    assert.deepEqual(p.allowedImages?.map((m) => [m.image, m.tags]), [['docker.io/library/python', ['3.12']]]);
    assert.deepEqual(p.deniedImages?.map((m) => m.image), ['docker.io/library/centos']);
    assert.deepEqual(p.pinning, { scope: 'final' });
    assert.deepEqual(p.sizes, { baseImage: 1024 ** 3 });
    assert.deepEqual(p.rules, { PL101: { severity: 'off' } });
    assert.deepEqual(p.secrets?.patterns?.map((x) => x.id), ['good']);
    // 3 is read as the text "3"; only the nested list is dropped.
    assert.deepEqual(p.secrets?.allowedNames, ['A', '3', 'B']);
    assert.deepEqual(p.waivers?.map((w) => w.reason), ['kept']);
    assert.equal(p.allowInlineSuppression, false);
  });

  test('and every mistake is reported', () => {
    assert.deepEqual(errors.map(brief), [
      expected(yaml, 'warning', 'unknown-key', 'imags'),
      expected(yaml, 'error', 'image', 'Node'),
      expected(yaml, 'error', 'required', 'image: ubuntu'),
      expected(yaml, 'error', 'enum', 'digset'),
      expected(yaml, 'error', 'size', 'lots'),
      expected(yaml, 'error', 'enum', 'warn'),
      expected(yaml, 'error', 'regex', '"("'),
      expected(yaml, 'error', 'type', '[x]'),
      expected(yaml, 'error', 'date', '2027-02-30'),
    ]);
  });
});

describe('details of the format', () => {
  test('short image names are normalised, globs kept, a tag in the image is split off', () => {
    assert.deepEqual(parseImagePattern('node'), { image: 'docker.io/library/node' });
    assert.deepEqual(parseImagePattern('acme/*'), { image: 'docker.io/acme/*' });
    assert.deepEqual(parseImagePattern('ghcr.io/acme/**'), { image: 'ghcr.io/acme/**' });
    assert.deepEqual(parseImagePattern('index.docker.io/library/node'), { image: 'docker.io/library/node' });
    assert.deepEqual(parseImagePattern('localhost:5000/app:1.*'), { image: 'localhost:5000/app', tag: '1.*' });
    assert.deepEqual(parseImagePattern('ubuntu:14.04'), { image: 'docker.io/library/ubuntu', tag: '14.04' });
    assert.deepEqual(parseImagePattern('**'), { image: '**' });
    assert.ok('error' in parseImagePattern('$BASE'));
  });

  test('a tag written in a deny image becomes its tags', () => {
    const { policy, errors } = parse('images:\n  deny:\n    - image: ubuntu:14.04\n      reason: EOL\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.policy.deniedImages?.map((d) => [d.image, d.tags]), [['docker.io/library/ubuntu', ['14.04']]]);
  });

  test('numeric tags keep their spelling', () => {
    const { policy, errors } = parse('images:\n  allow:\n    - image: python\n      tags: [3.10, 20]\n      variants: [""]\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.policy.allowedImages?.[0]?.tags, ['3.10', '20']);
  });

  test('extends takes a string or a list; waiver paths lose a leading ./; registries are normalised', () => {
    const { policy, errors } = parse(
      'extends: [../a.yaml, ../../b.yml]\nregistries:\n  trusted: [index.docker.io, ghcr.io]\nwaivers:\n  - rules: ["*"]\n    file: ./svc/**\n    image: centos:7\n    reason: r\n',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.extends.map((r) => r.path), ['../a.yaml', '../../b.yml']);
    assert.deepEqual(policy?.policy.trustedRegistries, ['docker.io', 'ghcr.io']);
    assert.deepEqual(policy?.policy.waivers?.map((w) => [w.rules, w.file, w.image]), [[['*'], 'svc/**', 'docker.io/library/centos:7']]);
  });

  test('an expiry date written as a YAML 1.1 timestamp is read as written', () => {
    const { policy, errors } = parse('%YAML 1.1\n---\nwaivers:\n  - rules: [PL101]\n    reason: r\n    expires: 2027-01-31\nrules:\n  PL101: off\n');
    assert.deepEqual(errors, []);
    assert.equal(policy?.policy.waivers?.[0]?.expires, '2027-01-31');
    assert.deepEqual(policy?.policy.rules, { PL101: { severity: 'off' } });
  });

  test('replacements: from is normalised like allow images, to is kept as written', () => {
    const yaml = [
      'images:',
      '  replacements:',
      '    - { from: node, to: registry.acme.internal/golden/node }',
      '    - { from: acme/*, to: "registry.acme.internal/golden/acme:1.2" }',
      '    - { from: ghcr.io/old/**, to: localhost:5000/base }',
      '    - { from: index.docker.io/library/python, to: python:3.12-slim }',
      '    - { from: "**", to: registry.acme.internal/golden/base }',
      '',
    ].join('\n');
    const { policy, errors } = parse(yaml);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.policy.replacements?.map((r) => [r.from, r.to, r.source?.line]), [
      ['docker.io/library/node', 'registry.acme.internal/golden/node', 3],
      ['docker.io/acme/*', 'registry.acme.internal/golden/acme:1.2', 4],
      ['ghcr.io/old/**', 'localhost:5000/base', 5],
      ['docker.io/library/python', 'python:3.12-slim', 6],
      ['**', 'registry.acme.internal/golden/base', 7],
    ]);
  });

  test('builds: a leading ./ is dropped; the image may carry a tag and a digest', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const yaml = `builds:\n  - dockerfile: ././api/Dockerfile\n    image: registry.acme.internal/team/api:main@${digest}\n  - dockerfile: "**/Dockerfile"\n    image: acme/app\n`;
    const { policy, errors } = parse(yaml);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.policy.builds?.map((b) => [b.dockerfile, b.image, b.source?.file, b.source?.line, b.source?.column]), [
      ['api/Dockerfile', `registry.acme.internal/team/api:main@${digest}`, FILE, 2, 5],
      ['**/Dockerfile', 'acme/app', FILE, 4, 5],
    ]);
  });

  test('an error covers exactly the offending value', () => {
    const yaml = 'images:\n  replacements:\n    - from: node:20\n      to: acme/node\nbuilds:\n  - dockerfile: ../x/Dockerfile\n    image: acme/app\n';
    const spans = parse(yaml).errors.map((e) => [e.code, e.line, e.column, e.endLine, e.endColumn, e.suggestion]);
    assert.deepEqual(spans, [
      ['tag', 3, 13, 3, 20, 'node'],
      ['path', 6, 17, 6, 32, undefined],
    ]);
  });

  test('a broken replacement or build is dropped; its siblings are kept', () => {
    const yaml = [
      'images:',
      '  replacements:',
      '    - { from: Node, to: acme/node }',
      '    - { from: python, to: acme/python }',
      '    - { from: ruby, to: "acme/ruby@sha256:0000" }',
      'pinning:',
      '  platformDigests: maybe',
      '  bump: minor',
      'builds:',
      '  - { dockerfile: /abs/Dockerfile, image: acme/a }',
      '  - { dockerfile: b/Dockerfile, image: acme/b }',
      '  - { dockerfile: c/Dockerfile }',
      '',
    ].join('\n');
    const { policy, errors } = parse(yaml);
    assert.deepEqual(errors.map(brief), [
      expected(yaml, 'error', 'image', 'Node'),
      expected(yaml, 'error', 'image', '"acme/ruby'),
      expected(yaml, 'error', 'type', 'maybe'),
      expected(yaml, 'error', 'path', '/abs'),
      expected(yaml, 'error', 'required', '{ dockerfile: c'),
    ]);
    assert.deepEqual(policy?.policy.replacements?.map((r) => r.to), ['acme/python']);
    assert.deepEqual(policy?.policy.pinning, { bump: 'minor' });
    assert.deepEqual(policy?.policy.builds?.map((b) => b.dockerfile), ['b/Dockerfile']);
    assert.deepEqual(Object.keys(policy?.policy.sources ?? {}), ['pinning.bump']);
  });

  test('platformDigests: false is kept (it overrides a parent), and YAML 1.1 yes/no are booleans there', () => {
    assert.equal(parse('pinning:\n  platformDigests: false\n').policy?.policy.pinning?.platformDigests, false);
    const { policy, errors } = parse('%YAML 1.1\n---\npinning:\n  platformDigests: yes\n');
    assert.deepEqual(errors, []);
    assert.equal(policy?.policy.pinning?.platformDigests, true);
  });

  test('an empty replacements or builds list is kept as empty; an empty key is a warning', () => {
    const { policy, errors } = parse('images:\n  replacements: []\nbuilds: []\n');
    assert.deepEqual(errors, []);
    assert.deepEqual([policy?.policy.replacements, policy?.policy.builds], [[], []]);
    const text = 'images:\n  replacements:\nbuilds:\n';
    assert.deepEqual(parse(text).errors.map(brief), [expected(text, 'warning', 'type', 'replacements'), expected(text, 'warning', 'type', 'builds')]);
  });

  test('anchors and aliases are followed', () => {
    const { policy, errors } = parse('waivers:\n  - &w { rules: [PL101], reason: shared }\n  - *w\n');
    assert.deepEqual(errors, []);
    assert.equal(policy?.policy.waivers?.length, 2);
  });
});

describe('hostile input fails fast with one error', () => {
  const fast = (name: string, text: string, code: string, line = 1, column = 1): void => {
    test(name, () => {
      const t0 = performance.now();
      const { policy, errors } = parse(text);
      const ms = performance.now() - t0;
      assert.equal(policy, undefined);
      assert.deepEqual(errors.map(brief), [`error ${code} ${line}:${column}`]);
      assert.ok(ms < 500, `took ${ms}ms`);
    });
  };
  fast('10 MB of text', 'rules: {}\n'.repeat(1_000_000), 'too-large');
  fast('binary content', `pinning:\n  level: tag\n${'\0\x01\x02'.repeat(1000)}`, 'binary');
  fast('deep flow nesting', `a: ${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'too-deep', 1, 204);
  fast('deep block nesting', `${'- '.repeat(10_000)}x`, 'too-deep', 1, 201);

  test('alias expansion is budgeted', () => {
    const ids = Array(5000).fill('PL1').join(', ');
    const text = `r: &r [${ids}]\nw: &w { rules: *r, reason: r }\nwaivers: [${Array(5000).fill('*w').join(', ')}]\n`;
    const t0 = performance.now();
    const { errors } = parse(text);
    assert.ok(errors.some((e) => e.code === 'too-complex'));
    assert.ok(performance.now() - t0 < 2000);
  });

  test('thousands of mistakes are capped', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `k${i}: v\n`).join('');
    const { errors } = parse(text);
    assert.equal(errors.length, 201);
    assert.equal(errors.at(-1)?.code, 'too-many-errors');
  });

  test('garbage never throws', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab:- \n\t[]{}&*!|>\'"#%@`,?PL1\u00e9\ud83d\ude00';
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: Math.floor(rnd() * 200) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      assert.doesNotThrow(() => parse(text), JSON.stringify(text));
    }
  });
});
