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
      trustedRegistries: ['docker.io', 'ghcr.io', '*.acme.internal'],
      pinning: { level: 'digest', scope: 'final', precision: 'patch', stages: { builder: 'tag' } },
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
      allowInlineSuppression: false,
      files: [FILE],
      sources: {
        'registries.trusted': src('trusted:'),
        'pinning.level': src('level:'),
        'pinning.scope': src('scope:'),
        'pinning.precision': src('precision:'),
        'pinning.stages.builder': src('builder: tag'),
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
  { name: 'extends by URL', yaml: 'extends: [./base.yaml, https://example.com/p.yaml]\n', want: [['error', 'unsupported', 'https://']] },
  { name: 'extends of the wrong type', yaml: 'extends: {path: x}\n', want: [['error', 'type', '{path']] },
  { name: 'unknown alias', yaml: 'rules: *nope\n', want: [['error', 'yaml-syntax', '*nope']] },
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
