// schema/plimsoll.schema.json (what editors validate and complete) and the parser must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOCK_RULE_RE, LOCK_SECTIONS, LOCKABLE, PIN_BUMPS, PIN_LEVELS, PIN_SCOPES, policyKeyPaths, RULE_LEVELS, TAG_PRECISIONS } from '../../server/src/policy/keys.ts';
import { parseSize, SIZE_RE } from '../../server/src/policy/sizes.ts';
import { brief, parse } from './helpers.ts';

interface Schema {
  $ref?: string;
  description?: string;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  examples?: unknown[];
  pattern?: string;
  definitions?: Record<string, Schema>;
}

const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'plimsoll.schema.json'), 'utf8')) as Schema;

function deref(node: Schema): Schema {
  if (!node.$ref) return node;
  const name = /^#\/definitions\/(.+)$/.exec(node.$ref)?.[1];
  const target = name ? schema.definitions?.[name] : undefined;
  assert.ok(target, `unresolved $ref ${node.$ref}`);
  return deref(target);
}

interface Visit {
  path: string;
  node: Schema;
  /** Declared under `properties` (a key users type), rather than an item or a pattern. */
  named: boolean;
}

/** Every schema node with its document path: `images.allow[].tags`, `rules.*.severity`. */
function walk(node: Schema, path: string, named: boolean, out: Visit[]): Visit[] {
  out.push({ path, node, named });
  const n = deref(node);
  if (n !== node) out.push({ path, node: n, named: false });
  for (const sub of [...(n.allOf ?? []), ...(n.oneOf ?? []), ...(n.anyOf ?? [])]) walk(sub, path, false, out);
  for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, path ? `${path}.${k}` : k, true, out);
  for (const v of Object.values(n.patternProperties ?? {})) walk(v, `${path}.*`, false, out);
  if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}.*`, false, out);
  if (n.items) walk(n.items, `${path}[]`, false, out);
  return out;
}

const visits = walk(schema, '', false, []);

test('the schema declares exactly the keys the parser knows', () => {
  const schemaKeys = [...new Set(visits.filter((v) => v.named).map((v) => v.path))].sort();
  assert.deepEqual(schemaKeys, policyKeyPaths());
});

test('every key in the schema has a description', () => {
  for (const v of visits.filter((x) => x.named)) {
    assert.ok(v.node.description ?? deref(v.node).description, `${v.path} has no description`);
  }
});

test('enums agree', () => {
  const enumAt = (path: string): unknown[] | undefined => {
    const found = visits.filter((v) => v.path === path).map((v) => deref(v.node).enum).find((e) => e !== undefined);
    return found;
  };
  assert.deepEqual(enumAt('pinning.level'), [...PIN_LEVELS]);
  assert.deepEqual(enumAt('pinning.scope'), [...PIN_SCOPES]);
  assert.deepEqual(enumAt('pinning.precision'), [...TAG_PRECISIONS]);
  assert.deepEqual(enumAt('pinning.stages.*'), [...PIN_LEVELS]);
  assert.deepEqual(enumAt('pinning.bump'), [...PIN_BUMPS]);
  assert.deepEqual(enumAt('rules.*'), [...RULE_LEVELS]);
  assert.deepEqual(enumAt('rules.*.severity'), [...RULE_LEVELS]);
});

test('locked: the schema lists exactly the lockable names and the rule pattern', () => {
  const items = deref(visits.find((v) => v.path === 'locked')!.node).items!;
  const alternatives = items.anyOf ?? [];
  assert.deepEqual(alternatives.find((a) => a.enum)?.enum, [...LOCKABLE, ...LOCK_SECTIONS]);
  assert.equal(alternatives.find((a) => a.pattern)?.pattern, LOCK_RULE_RE.source.replace('\\d', '[0-9]'));
});

test('remote extends: the schema patterns agree with the parser', () => {
  const remote = schema.definitions?.['remoteExtends']?.properties ?? {};
  const url = new RegExp(remote['url']!.pattern!);
  const integrity = new RegExp(remote['integrity']!.pattern!);
  const pin = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
  for (const u of ['https://p.acme.example/org.yaml', 'http://127.0.0.1:8080/p.yaml', 'http://localhost/p.yaml', 'http://p.acme.example/org.yaml', 'ftp://x/y']) {
    const ok = parse(stringify({ extends: [{ url: u, integrity: pin }] })).errors.length === 0;
    assert.equal(url.test(u), ok, u);
  }
  // The schema checks the shape; the parser also checks the digest length.
  for (const i of [pin, `sha512-${'A'.repeat(86)}==`, 'md5-AAAA', 'sha256-', 'sha256-AAAA']) {
    const ok = parse(stringify({ extends: [{ url: 'https://p.example/x', integrity: i }] })).errors.length === 0;
    if (ok) assert.ok(integrity.test(i), i);
    if (!integrity.test(i)) assert.equal(ok, false, i);
  }
});

test('the size pattern is the parser’s', () => {
  const patterns = visits.map((v) => deref(v.node).pattern).filter((p): p is string => p !== undefined && p.includes('kKmMgGtT'));
  assert.ok(patterns.length > 0);
  for (const p of patterns) assert.equal(p, SIZE_RE.source);
  for (const s of ['300MB', '1.5GiB', 'x', '1 2']) assert.equal(new RegExp(p0(patterns)).test(s), parseSize(s) !== undefined, s);
});
const p0 = (ps: string[]): string => ps[0]!;

test('the string patterns of replacements and builds agree with the parser', () => {
  const patternAt = (path: string): RegExp => {
    const p = visits.filter((v) => v.path === path).map((v) => deref(v.node).pattern).find((x) => x !== undefined);
    assert.ok(p, `${path} has no pattern`);
    return new RegExp(p, 'u');
  };
  // [path, sample, extra fields that make the entry complete]
  const samples: [string, string[], Record<string, string>][] = [
    ['images.replacements[].from', ['node', 'acme/*', 'ghcr.io/acme/**', 'localhost:5000/app', 'node:20', 'node@sha256:abc', 'localhost:5000/app:1', 'a b'], { to: 'acme/node' }],
    ['images.replacements[].to', ['acme/node', 'acme/node:20', 'localhost:5000/app:1', 'acme/*', 'acme/node@sha256:abc', '$REG/node', 'a b'], { from: 'node' }],
    ['builds[].dockerfile', ['Dockerfile', './api/Dockerfile', 'services/*/Dockerfile', '/abs/Dockerfile', 'C:/src/Dockerfile', '../x/Dockerfile', 'a/../b', 'a\\b', './', 'a..b/Dockerfile'], { image: 'acme/app' }],
  ];
  for (const [path, values, rest] of samples) {
    const re = patternAt(path);
    const key = path.slice(path.lastIndexOf('.') + 1);
    for (const value of values) {
      const doc = docAt(path.slice(0, path.lastIndexOf('.')), { [key]: value, ...rest });
      const parserOk = parse(stringify(doc)).errors.length === 0;
      assert.equal(re.test(value), parserOk, `${path}: ${value}`);
    }
  }
});

/** A document holding `value` at `path` (`waivers[].file` -> `{ waivers: [{ file: value }] }`). */
function docAt(path: string, value: unknown): unknown {
  const parts = path.split(/\.|(?=\[\])/).filter(Boolean);
  let v = value;
  for (const part of parts.reverse()) v = part === '[]' ? [v] : { [part === '*' ? pathKey(parts) : part]: v };
  return v;
}
// `rules.*` needs a rule id; `pinning.stages.*` any stage name.
const pathKey = (parts: string[]): string => (parts.includes('rules') ? 'PL101' : 'builder');

test('every example in the schema is valid for the parser', () => {
  let checked = 0;
  for (const v of visits) {
    for (const example of v.node.examples ?? []) {
      const text = stringify(v.path === '' ? example : docAt(v.path, example));
      // A lone field of a list entry misses its siblings; anything else is a disagreement.
      const errors = parse(text).errors.filter((e) => e.code !== 'required');
      assert.deepEqual(errors.map(brief), [], `${v.path || '(document)'} example:\n${text}`);
      checked++;
    }
  }
  assert.ok(checked > 30, `only ${checked} examples`);
});

test('the whole-document example parses with no errors at all', () => {
  const [example] = schema.examples ?? [];
  assert.ok(example);
  assert.deepEqual(parse(stringify(example)).errors, []);
});
