// The server's pure parts, without a connection: lenient settings, document selection, policy error
// positions, the policy store's last-good rule and change detection, provenance and inlay hints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../server/src/core/model.ts';
import type { ImageFacts, RegistryFacts } from '../../server/src/core/facts.ts';
import { defaultSettings, parseSettings, SettingsCache } from '../../server/src/lsp/settings.ts';
import { isDockerfile, isPolicyFile } from '../../server/src/lsp/documents.ts';
import { policyErrorDiagnostic } from '../../server/src/lsp/diagnostics.ts';
import { PolicyStore } from '../../server/src/lsp/policyStore.ts';
import { computeInlayHints } from '../../server/src/lsp/inlayHints.ts';

describe('settings', () => {
  test('anything that is not valid becomes the default, nothing throws', () => {
    for (const raw of [undefined, null, 42, 'x', [], { policyPath: 3, offline: 'yes', buildArgs: [1], severity: 'x', debounceMs: -5, trace: 'verbose' }]) {
      assert.deepEqual(parseSettings(raw), defaultSettings());
    }
  });

  test('valid values are kept, leniently normalised', () => {
    const s = parseSettings({
      policyPath: ' policies/org.yaml ',
      offline: true,
      buildArgs: { BASE: 'node:20', N: 3, OK: true, 'bad name': 'x', OBJ: {} },
      severity: { pl101: 'Warn', PL102: 'information', PL103: 'off', nope: 'error', PL104: 'loud' },
      trace: { server: 'messages' },
      debounceMs: 99999,
    });
    assert.equal(s.policyPath, 'policies/org.yaml');
    assert.equal(s.offline, true);
    assert.deepEqual(s.buildArgs, { BASE: 'node:20', N: '3', OK: 'true' });
    assert.deepEqual(s.severity, { PL101: 'warning', PL102: 'info', PL103: 'off' });
    assert.equal(s.trace.server, 'messages');
    assert.equal(s.debounceMs, 10_000);
    assert.equal(parseSettings({ 'trace.server': 'verbose' }).trace.server, 'verbose');
  });

  test('the cache is per document, survives a failing fetch and is emptied on demand', async () => {
    let calls = 0;
    const cache = new SettingsCache((uri) => {
      calls++;
      return uri.includes('bad') ? Promise.reject(new Error('no')) : Promise.resolve({ debounceMs: 5 });
    });
    assert.equal((await cache.get('file:///a')).debounceMs, 5);
    await cache.get('file:///a');
    assert.equal(calls, 1);
    assert.deepEqual(await cache.get('file:///bad'), defaultSettings());
    assert.equal(cache.peek('file:///a')?.debounceMs, 5);
    cache.clear();
    assert.equal(cache.peek('file:///a'), undefined);
    await cache.get('file:///a');
    assert.equal(calls, 3);
  });

  test('a client that never answers gets defaults, and is asked again next time', async () => {
    let calls = 0;
    const cache = new SettingsCache(() => {
      calls++;
      return calls === 1 ? new Promise(() => undefined) : Promise.resolve({ offline: true });
    }, 20);
    assert.deepEqual(await cache.get('file:///a'), defaultSettings());
    assert.equal(cache.peek('file:///a'), undefined);
    assert.equal((await cache.get('file:///a')).offline, true);
    assert.equal(calls, 2);
  });
});

test('document selection by language id and file name', () => {
  const yes = ['file:///w/Dockerfile', 'file:///w/Containerfile', 'file:///w/api.Dockerfile', 'file:///w/Dockerfile.prod', 'file:///w/containerfile'];
  for (const uri of yes) assert.ok(isDockerfile(uri, 'plaintext'), uri);
  for (const uri of ['file:///w/notes.txt', 'file:///w/Dockerfile.dockerignore', 'file:///w/.dockerignore']) assert.ok(!isDockerfile(uri, 'plaintext'), uri);
  assert.ok(isDockerfile('untitled:Untitled-1', 'dockerfile'));
  assert.ok(!isDockerfile('file:///w/Dockerfile.dockerignore', 'dockerfile'));
  assert.ok(isPolicyFile('file:///w/.plimsoll.yaml') && isPolicyFile('file:///w/.plimsoll.yml') && !isPolicyFile('file:///w/plimsoll.yaml'));
});

test('policy errors: 1-based with an exclusive end become 0-based; no end marks to the end of the line', () => {
  const d = policyErrorDiagnostic({ file: '/p', line: 3, column: 5, endLine: 3, endColumn: 9, message: 'm', severity: 'warning', code: 'enum' });
  assert.deepEqual(d.range, { start: { line: 2, character: 4 }, end: { line: 2, character: 8 } });
  assert.equal(d.severity, 2);
  assert.equal(d.code, 'enum');
  const e = policyErrorDiagnostic({ file: '/p', line: 2, column: 3, message: 'm', severity: 'error' }, (l) => (l === 1 ? 20 : undefined));
  assert.deepEqual(e.range, { start: { line: 1, character: 2 }, end: { line: 1, character: 20 } });
  const f = policyErrorDiagnostic({ file: '/p', line: 0, column: 0, message: 'm', severity: 'error' });
  assert.deepEqual(f.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
});

describe('policy store', () => {
  function store(files: Record<string, string>, open: Record<string, string> = {}) {
    const stamps: Record<string, number> = {};
    const s = new PolicyStore({
      readFile: (p) => {
        const t = files[p];
        if (t === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return t;
      },
      openText: (p) => open[p],
      isFile: (p) => p in files,
      stamp: (p) => `${p in files ? files[p]!.length : 'missing'}:${stamps[p] ?? 0}`,
    });
    return { s, files, open, touch: (p: string) => (stamps[p] = (stamps[p] ?? 0) + 1) };
  }

  test('finds the nearest file and keeps the last good policy while the file is broken', () => {
    const { s, files } = store({ '/w/.plimsoll.yaml': 'pinning:\n  level: digest\n' });
    const path = s.find('/w/app/x');
    assert.equal(path, '/w/.plimsoll.yaml');
    assert.equal(s.get(path!).policy.pinning.level, 'digest');
    files['/w/.plimsoll.yaml'] = 'pinning:\n  level: [\n';
    assert.deepEqual(s.changed('/w/.plimsoll.yaml', 'changed', true), ['/w/.plimsoll.yaml']);
    const e = s.get(path!);
    assert.equal(e.usingLastGood, true);
    assert.equal(e.policy.pinning.level, 'digest');
    assert.ok(e.errors.length > 0);
    assert.deepEqual([...s.errorsByFile().keys()], ['/w/.plimsoll.yaml']);
    files['/w/.plimsoll.yaml'] = 'pinning:\n  level: none\n';
    s.changed('/w/.plimsoll.yaml', 'changed', true);
    assert.equal(s.get(path!).policy.pinning.level, 'none');
    assert.equal(s.errorsByFile().size, 0);
  });

  test('a policy broken from the start is used as far as it can be read, marked broken', () => {
    const { s } = store({ '/w/.plimsoll.yaml': 'pinning:\n  level: digest\nimages: 3\n' });
    const e = s.get('/w/.plimsoll.yaml');
    assert.equal(e.broken, true);
    assert.equal(e.usingLastGood, false);
    assert.equal(e.policy.pinning.level, 'digest');
  });

  test('open editor text wins over the disk; a disk change is noticed on the next get without any event', () => {
    const { s, files, open, touch } = store({ '/w/.plimsoll.yaml': 'extends:\n  - base.yaml\n', '/w/base.yaml': 'pinning:\n  level: tag\n' });
    assert.equal(s.get('/w/.plimsoll.yaml').policy.pinning.level, 'tag');
    files['/w/base.yaml'] = 'pinning:\n  level: digest\n';
    touch('/w/base.yaml');
    assert.equal(s.get('/w/.plimsoll.yaml').policy.pinning.level, 'digest');
    open['/w/base.yaml'] = 'pinning:\n  level: none\n';
    assert.deepEqual(s.changed('/w/base.yaml', 'changed', false), ['/w/.plimsoll.yaml']);
    assert.equal(s.get('/w/.plimsoll.yaml').policy.pinning.level, 'none');
  });

  test('a new policy file closer to the Dockerfile is found after a create event', () => {
    const { s, files } = store({ '/w/.plimsoll.yaml': '' });
    assert.equal(s.find('/w/app'), '/w/.plimsoll.yaml');
    files['/w/app/.plimsoll.yml'] = '';
    assert.equal(s.find('/w/app'), '/w/.plimsoll.yaml', 'remembered');
    s.changed('/w/app/.plimsoll.yml', 'created', true);
    assert.equal(s.find('/w/app'), '/w/app/.plimsoll.yml');
  });
});

const image = (manifests: ImageFacts['manifests'], extra: Partial<ImageFacts> = {}): ImageFacts => ({
  reference: 'docker.io/library/node:20',
  manifests,
  attestations: [],
  fetchedAt: '2026-01-01T00:00:00Z',
  fromCache: true,
  ...extra,
});
const manifest = (arch: string, size: number) => ({ digest: `sha256:${arch}`, mediaType: 'm', platform: { os: 'linux', architecture: arch }, layers: [{ digest: 'sha256:l', size, mediaType: 'l' }], totalSize: size });

test('inlay hints: the base image size at its FROM line when the facts know it, nothing otherwise', () => {
  const model = buildModel('FROM node:20 AS a\nFROM --platform=linux/arm64 node:20\nFROM scratch\n');
  assert.deepEqual(computeInlayHints(model, undefined), []);
  const facts: RegistryFacts = { images: new Map([['docker.io/library/node:20', image([manifest('arm64', 1024), manifest('amd64', 2048)])]]), repositories: new Map() };
  const hints = computeInlayHints(model, facts);
  assert.deepEqual(hints.map((h) => [h.position.line, h.position.character, h.label]), [[0, 17, '2 kB compressed'], [1, 35, '1 kB compressed']]);
  assert.deepEqual(computeInlayHints(model, facts, { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } }).map((h) => h.position.line), [1]);
});
