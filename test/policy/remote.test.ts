// `extends` by URL in the loader, with an injected fetcher (the HTTP side is test/registry/policyFetch.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy, loadPolicyAsync, type RemoteAnswer } from '../../server/src/policy/load.ts';
import { integrityOf, integrityMatches, integrityProblem } from '../../server/src/policy/integrity.ts';
import { at, parse } from './helpers.ts';

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'plimsoll-remote-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const entry = (url: string, text: string): string => `  - url: ${url}\n    integrity: ${integrityOf(text)}\n`;

/** A fetcher over a fixed map of URL -> text that counts calls. */
function site(pages: Record<string, string>) {
  const calls: string[] = [];
  const fetchRemote = (url: string): Promise<RemoteAnswer> => {
    calls.push(url);
    const text = pages[url];
    return Promise.resolve(text === undefined ? { error: `HTTP 404 for ${url}`, code: 'fetch' } : { bytes: Buffer.from(text), fetchedAt: 1_000, fromCache: false });
  };
  return { calls, fetchRemote };
}

describe('parsing remote entries', () => {
  test('a list may mix paths and { url, integrity }; a lone mapping works too', () => {
    const pin = integrityOf('x');
    const { policy, errors } = parse(`extends:\n  - ../team.yaml\n  - url: https://p.acme.example/org.yaml\n    integrity: ${pin}\n`);
    assert.deepEqual(errors, []);
    assert.deepEqual(policy?.extends.map((r) => [r.path, r.url, r.integrity, r.span.line, r.span.column]), [
      ['../team.yaml', undefined, undefined, 2, 5],
      ['https://p.acme.example/org.yaml', 'https://p.acme.example/org.yaml', pin, 3, 5],
    ]);
    const lone = parse(`extends: { url: "http://127.0.0.1:8080/org.yaml", integrity: "${pin}" }\n`);
    assert.deepEqual(lone.errors, []);
    assert.equal(lone.policy?.extends[0]?.url, 'http://127.0.0.1:8080/org.yaml');
  });

  test('integrity pins', () => {
    assert.equal(integrityProblem(integrityOf('a')), undefined);
    assert.equal(integrityProblem(integrityOf('a', 'sha512')), undefined);
    assert.ok(integrityProblem('sha256-abc'));
    assert.ok(integrityProblem('sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk='));
    assert.equal(integrityMatches('a', integrityOf('a')), true);
    assert.equal(integrityMatches('b', integrityOf('a')), false);
    assert.equal(integrityMatches('a', 'garbage'), false);
  });
});

describe('loading remote policies', () => {
  test('a remote policy may extend another URL: fetched in rounds, most general first', async () => {
    const base = 'pinning:\n  level: digest\n';
    const org = `extends:\n${entry('https://p.example/base.yaml', base)}sizes:\n  layer: 5MB\n`;
    const { calls, fetchRemote } = site({ 'https://p.example/base.yaml': base, 'https://p.example/org.yaml': org });
    const file = join(root, 'nested.yaml');
    writeFileSync(file, `extends:\n${entry('https://p.example/org.yaml', org)}`);
    const r = await loadPolicyAsync(file, { fetchRemote });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(calls, ['https://p.example/org.yaml', 'https://p.example/base.yaml']);
    assert.deepEqual(r.policy.files, ['https://p.example/base.yaml', 'https://p.example/org.yaml', file]);
    assert.equal(r.policy.pinning.level, 'digest');
    assert.deepEqual(r.policy.sources?.['sizes.layer'], { file: 'https://p.example/org.yaml', line: 5, column: 3 });
    assert.deepEqual(r.remote.map((x) => x.url), ['https://p.example/org.yaml', 'https://p.example/base.yaml']);
  });

  test('a remote policy may not extend a local path; its own mistakes are labelled with its URL', async () => {
    const org = 'extends: /etc/passwd\npinning:\n  levle: digest\n';
    const { fetchRemote } = site({ 'https://p.example/org.yaml': org });
    const file = join(root, 'local-from-remote.yaml');
    writeFileSync(file, `extends:\n${entry('https://p.example/org.yaml', org)}`);
    const r = await loadPolicyAsync(file, { fetchRemote });
    assert.deepEqual(r.errors.map((e) => [e.file, e.code, e.line, e.column]).sort(), [
      ['https://p.example/org.yaml', 'unknown-key', 3, 3],
      ['https://p.example/org.yaml', 'unsupported', 1, 10],
    ]);
  });

  test('a fetch failure is an error at the entry; what else loads still applies', async () => {
    const { fetchRemote } = site({});
    const text = `pinning:\n  level: digest\nextends:\n${entry('https://p.example/gone.yaml', 'x')}`;
    const file = join(root, 'gone.yaml');
    writeFileSync(file, text);
    const r = await loadPolicyAsync(file, { fetchRemote });
    const p = at(text, 'url:');
    assert.deepEqual(r.errors.map((e) => [e.file, e.code, e.line, e.column]), [[file, 'extends-fetch', p.line, p.column]]);
    assert.equal(r.policy.pinning.level, 'digest');
  });

  test('a URL reached twice is fetched once and applied once', async () => {
    const b = 'rules:\n  PL101: error\n';
    const a = `extends:\n${entry('https://p.example/b.yaml', b)}`;
    const file = join(root, 'twice.yaml');
    writeFileSync(file, `extends:\n${entry('https://p.example/a.yaml', a)}${entry('https://p.example/b.yaml', b)}`);
    const { calls, fetchRemote } = site({ 'https://p.example/a.yaml': a, 'https://p.example/b.yaml': b });
    const r = await loadPolicyAsync(file, { fetchRemote });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(calls.sort(), ['https://p.example/a.yaml', 'https://p.example/b.yaml']);
    assert.deepEqual(r.policy.files, ['https://p.example/b.yaml', 'https://p.example/a.yaml', file]);
  });

  test('without a fetcher (the synchronous loader) an unfetched URL is an error that says so', () => {
    const text = `extends:\n${entry('https://p.example/org.yaml', 'x')}`;
    const file = join(root, 'sync.yaml');
    writeFileSync(file, text);
    const r = loadPolicy(file);
    assert.deepEqual(r.errors.map((e) => [e.code, e.line, e.column]), [['extends-fetch', 2, 5]]);
    assert.deepEqual(r.pending, [{ url: 'https://p.example/org.yaml', integrity: integrityOf('x') }]);
  });
});
