// The server in-process, over a real JSON-RPC pipe, with injected rules and providers: safe fixes and sibling
// files, fix-all, rule failures, registry facts arriving late (and never for a stale version), progress,
// provenance, inlay hints, trust, suppression policy, ARG hovers and build-context invalidation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { CancellationToken, CodeAction, CreateFile, Hover, InlayHint, TextDocumentEdit } from 'vscode-languageserver/node';
import type { Rule } from '../../server/src/core/rule.ts';
import type { RegistryFacts } from '../../server/src/core/facts.ts';
import { normalisedName } from '../../server/src/core/imageRef.ts';
import { allRules } from '../../server/src/rules/index.ts';
import type { FactsProvider, ProviderContext } from '../../server/src/lsp/providers.ts';
import type { ServerOptions } from '../../server/src/lsp/server.ts';
import type { StatusParams } from '../../server/src/lsp/protocol.ts';
import { FULL_CAPABILITIES, TestClient, codes, pathUri, tempWorkspace } from './support/client.ts';

const docs = { summary: 'test', why: 'test', bad: 'FROM x\n', good: 'FROM y\n' };

/** A safe fix that edits the Dockerfile and creates `.dockerignore`, plus an unsafe alternative. */
const safeRule: Rule = {
  id: 'PL991',
  name: 'test-safe-fix',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'safe and unsafe',
  docs,
  check(ctx) {
    for (const s of ctx.model.stages) {
      const line = s.from.range.end.line;
      const end = { line, character: ctx.model.index.lineLength(line) };
      ctx.report({
        range: s.from.keywordRange,
        message: 'test',
        key: String(s.index),
        stage: s,
        fixes: [
          { title: 'unsafe first', applicability: 'unsafe', changes: [{ edits: [{ range: { start: end, end }, newText: ' # unsafe' }] }] },
          {
            title: 'safe fix',
            applicability: 'safe',
            changes: [
              { edits: [{ range: { start: end, end }, newText: ' # safe' }] },
              { file: '.dockerignore', create: true, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: 'node_modules\n' }] },
            ],
          },
        ],
      });
    }
  },
};

const throwingRule: Rule = { id: 'PL992', name: 'test-throws', category: 'size', severity: 'error', status: 'stable', fixSafety: 'none', docs, check: () => { throw new Error('boom in test rule'); } };

/** Reports images the registry facts know, so a re-publish with facts is visible. */
const factsRule: Rule = {
  id: 'PL993',
  name: 'test-facts',
  category: 'registry',
  severity: 'info',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs,
  check(ctx) {
    for (const u of ctx.model.images) if (u.ref && ctx.facts?.images.has(normalisedName(u.ref))) ctx.report({ range: u.range, message: 'known', key: u.resolved });
  },
};

/** Reports a `secret.txt` in the build context, to see the context cache invalidated. */
const contextRule: Rule = {
  id: 'PL994',
  name: 'test-context',
  category: 'secret',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  needs: ['context'],
  docs,
  check(ctx) {
    if (ctx.buildContext?.files.some((f) => f.path === 'secret.txt')) ctx.report({ range: ctx.model.stages[0]!.from.keywordRange, message: 'secret', key: 'secret' });
  },
};

async function session(t: { after: (fn: () => Promise<void> | void) => void }, options: ServerOptions = {}, init: Parameters<TestClient['initialize']>[1] = {}, files: Record<string, string> = {}) {
  const dir = tempWorkspace();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const client = TestClient.inProcess({ debounceMs: 10, ...options });
  await client.initialize(dir, init);
  t.after(async () => {
    await client.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, client, uri: (name: string) => pathUri(join(dir, name)) };
}

const hoverText = (h: Hover | null): string => (h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');
const eager = { ...FULL_CAPABILITIES, textDocument: { ...FULL_CAPABILITIES.textDocument, codeAction: { isPreferredSupport: true, codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } } } } };

test('safe fixes: preferred, with a CreateFile for a sibling file; fix-all takes safe fixes only', async (t) => {
  const { client, uri, dir } = await session(t, { rules: [safeRule] }, { capabilities: eager });
  const df = uri('Dockerfile');
  await client.open(df, 'FROM node:20\nFROM node:22\n');
  const p = await client.waitDiagnostics(df);
  assert.deepEqual(codes(p), ['PL991', 'PL991']);
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: df }, range: p.diagnostics[0]!.range, context: { diagnostics: [p.diagnostics[0]] } });
  assert.deepEqual(actions.map((a) => [a.title, a.isPreferred ?? false]), [['unsafe first', false], ['safe fix', true], ['Suppress PL991 with a reason', false], ['Open docs for PL991', false], ['Fix all safe Plimsoll problems', false]]);
  const safe = actions[1]!;
  const ignoreUri = pathUri(join(dir, '.dockerignore'));
  assert.deepEqual(safe.edit?.documentChanges, [
    { textDocument: { uri: df, version: 1 }, edits: [{ range: { start: { line: 0, character: 12 }, end: { line: 0, character: 12 } }, newText: ' # safe' }] },
    { kind: 'create', uri: ignoreUri, options: { ignoreIfExists: true } },
    { textDocument: { uri: ignoreUri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: 'node_modules\n' }] },
  ]);

  const fixAll = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: df }, range: p.diagnostics[0]!.range, context: { diagnostics: [], only: ['source.fixAll.plimsoll'] } });
  assert.equal(fixAll.length, 1);
  assert.equal(fixAll[0]!.kind, 'source.fixAll.plimsoll');
  const changes = fixAll[0]!.edit!.documentChanges as Array<TextDocumentEdit | CreateFile>;
  const docEdit = changes[0] as TextDocumentEdit;
  assert.deepEqual(docEdit.edits.map((e) => [e.range.start.line, 'newText' in e ? e.newText : '']), [[0, ' # safe'], [1, ' # safe']]);
  assert.equal((changes[1] as CreateFile).kind, 'create');
  assert.equal((changes[2] as TextDocumentEdit).edits.length, 1, 'the same sibling edit is made once');
});

test('without documentChanges a fix that creates a file is not offered; others use `changes`', async (t) => {
  const caps = { ...eager, workspace: { ...eager.workspace, workspaceEdit: {} } };
  const { client, uri } = await session(t, { rules: [safeRule] }, { capabilities: caps });
  const df = uri('Dockerfile');
  await client.open(df, 'FROM node:20\n');
  const p = await client.waitDiagnostics(df);
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: df }, range: p.diagnostics[0]!.range, context: { diagnostics: p.diagnostics } });
  assert.deepEqual(actions.map((a) => a.title), ['unsafe first', 'Suppress PL991 with a reason', 'Open docs for PL991']);
  assert.deepEqual(Object.keys(actions[0]!.edit?.changes ?? {}), [df]);
});

test('a rule that throws is logged and the other rules still report', async (t) => {
  const { client, uri } = await session(t, { rules: [throwingRule, ...allRules] });
  const df = uri('Dockerfile');
  const logged = client.waitEvent<{ type: number; message: string }>('log', (m) => m.message.includes('PL992'), 5000);
  await client.open(df, 'FROM ubuntu\n');
  assert.deepEqual(codes(await client.waitDiagnostics(df)), ['PL301']);
  assert.equal((await logged).type, 1);
});

class ControlledFacts implements FactsProvider {
  readonly calls: Array<{ images: string[]; token: CancellationToken; context: ProviderContext; resolve: (f: RegistryFacts | undefined) => void }> = [];
  readonly events = new EventEmitter();
  getFacts(images: string[], token: CancellationToken, context: ProviderContext): Promise<RegistryFacts | undefined> {
    return new Promise((resolve) => {
      this.calls.push({ images, token, context, resolve });
      this.events.emit('call');
    });
  }
  call(n: number): Promise<ControlledFacts['calls'][number]> {
    if (this.calls[n]) return Promise.resolve(this.calls[n]);
    return new Promise((resolve) => {
      const on = () => {
        if (!this.calls[n]) return;
        this.events.off('call', on);
        resolve(this.calls[n]);
      };
      this.events.on('call', on);
    });
  }
}

const nodeFacts = (ref: string): RegistryFacts => ({
  images: new Map([
    [
      ref,
      {
        reference: ref,
        digest: 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        manifests: [
          { digest: 'sha256:bb', mediaType: 'm', platform: { os: 'linux', architecture: 'arm64' }, layers: [{ digest: 'sha256:l1', size: 10, mediaType: 'l' }], totalSize: 10 },
          { digest: 'sha256:cc', mediaType: 'm', platform: { os: 'linux', architecture: 'amd64' }, layers: [{ digest: 'sha256:l2', size: 50 * 1024 * 1024, mediaType: 'l' }], totalSize: 50 * 1024 * 1024, config: { digest: 'sha256:dd', labels: { 'org.opencontainers.image.source': 'https://example.test/node' }, env: [], history: [] } },
        ],
        attestations: [],
        fetchedAt: '2026-01-01T00:00:00Z',
        fromCache: false,
      },
    ],
  ]),
  repositories: new Map(),
});

test('registry facts: offline findings first, re-published with facts, never for a superseded version', async (t) => {
  const facts = new ControlledFacts();
  const { client, uri } = await session(t, { facts, rules: [factsRule, ...allRules], progressDelayMs: 0 });
  const df = uri('Dockerfile');
  await client.open(df, 'FROM node:20\n');
  const first = await client.waitDiagnostics(df, (p) => p.version === 1);
  assert.deepEqual(codes(first), [], 'published before the facts are known');
  const c1 = await facts.call(0);
  assert.deepEqual(c1.images, ['docker.io/library/node:20']);
  const { want, ...context } = c1.context;
  assert.deepEqual(context, { uri: df, offline: false, trusted: true });
  assert.ok(want && [...want({ images: new Map(), repositories: new Map() }).images].length > 0, 'the engine says what it wants');

  await client.change(df, 2, 'FROM node:20\nRUN true\n');
  const c2 = await facts.call(1);
  assert.equal(c1.token.isCancellationRequested, true, 'the older lookup is cancelled');
  await client.waitDiagnostics(df, (p) => p.version === 2);
  const count = client.diagnostics.get(df)!.length;
  c1.resolve(nodeFacts('docker.io/library/node:20'));
  // A round trip after the stale answer: anything it caused would have arrived by now.
  await client.request('textDocument/hover', { textDocument: { uri: df }, position: { line: 0, character: 0 } });
  assert.equal(client.diagnostics.get(df)!.length, count, 'facts for version 1 are not published after version 2');

  const progressEnd = client.waitEvent<{ value: { kind: string } }>('progress', (p) => p.value.kind === 'end', 5000);
  const refreshed = client.waitEvent('inlayRefresh', () => true, 5000);
  const withFacts = client.nextDiagnostics(df, (p) => p.version === 2 && codes(p).includes('PL993'));
  c2.resolve(nodeFacts('docker.io/library/node:20'));
  assert.deepEqual(codes(await withFacts), ['PL993']);
  await refreshed;
  await progressEnd;
  assert.ok(client.progress.some((p) => (p as { value: { kind: string } }).value.kind === 'begin'));

  const hints = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: df }, range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } } });
  assert.deepEqual(hints.map((h) => [h.position, h.label]), [[{ line: 0, character: 12 }, '52.4 MB compressed']]);

  const hover = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: df }, position: { line: 0, character: 7 } }));
  assert.match(hover, /sha256:aaaaaaaa/);
  assert.match(hover, /linux\/amd64/);
  assert.match(hover, /Source: https:\/\/example\.test\/node/);
});

test('an untrusted workspace is reported in status and passed to providers', async (t) => {
  const facts = new ControlledFacts();
  const { client, uri } = await session(t, { facts }, { initializationOptions: { untrustedWorkspace: true } });
  const df = uri('Dockerfile');
  const status = client.waitEvent<StatusParams>('status', (s) => s.uri === df, 5000);
  client.settings = () => ({ offline: true });
  await client.open(df, 'FROM node:20\n');
  const s = await status;
  assert.equal(s.trusted, false);
  assert.equal(s.offline, true);
  assert.equal(s.policyFile, null);
  const { want: _want, ...untrusted } = (await facts.call(0)).context;
  assert.deepEqual(untrusted, { uri: df, offline: true, trusted: false });
});

test('suppress: indented like the instruction, added to a pragma already there, not offered when the policy forbids it', async (t) => {
  const { client, uri } = await session(t, {}, { capabilities: eager }, { 'a/Dockerfile': '', 'b/.plimsoll.yaml': 'suppression:\n  inline: false\n', 'b/Dockerfile': '' });
  const a = uri('a/Dockerfile');
  await client.open(a, 'FROM node:20 AS x\n  FROM ubuntu:latest\n# plimsoll ignore=PL302 reason="x"\nFROM ubuntu\n');
  const p = await client.waitDiagnostics(a);
  assert.deepEqual(codes(p), ['PL302', 'PL301']);
  const suppress = async (i: number) => {
    const d = p.diagnostics[i]!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: a }, range: d.range, context: { diagnostics: [d] } });
    return (actions.find((x) => x.title.startsWith('Suppress'))!.edit!.documentChanges![0] as TextDocumentEdit).edits;
  };
  assert.deepEqual(await suppress(0), [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: '  # plimsoll ignore=PL302 reason=""\n' }]);
  assert.deepEqual(await suppress(1), [{ range: { start: { line: 2, character: 23 }, end: { line: 2, character: 23 } }, newText: ',PL301' }]);

  const b = uri('b/Dockerfile');
  await client.open(b, '# plimsoll ignore=PL301,PL999\nFROM ubuntu\n');
  const pb = await client.waitDiagnostics(b);
  assert.deepEqual(codes(pb), ['PL902', 'PL301']);
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: b }, range: pb.diagnostics[1]!.range, context: { diagnostics: pb.diagnostics } });
  assert.ok(!actions.some((x) => x.title.startsWith('Suppress')));
  const hover = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: b }, position: { line: 0, character: 4 } }));
  assert.match(hover, /\[PL301\]\(https:[^)]+PL301-untagged-image\.md\)/);
  assert.match(hover, /`PL999`: unknown rule/);
  assert.match(hover, /forbids inline suppression/);
});

test('which documents are checked: by language id or by file name', async (t) => {
  const { client, uri } = await session(t);
  const checked = ['Containerfile', 'api.Dockerfile', 'Dockerfile.prod'];
  for (const name of checked) await client.open(uri(name), 'FROM ubuntu\n', 'plaintext');
  await client.open(uri('notes.txt'), 'FROM ubuntu\n', 'plaintext');
  await client.open(uri('Dockerfile.dockerignore'), 'FROM ubuntu\n', 'ignore');
  await client.open(uri('build.txt'), 'FROM ubuntu\n', 'dockerfile');
  for (const name of [...checked, 'build.txt']) assert.deepEqual(codes(await client.waitDiagnostics(uri(name))), ['PL301'], name);
  await client.request('textDocument/hover', { textDocument: { uri: uri('notes.txt') }, position: { line: 0, character: 6 } });
  assert.equal(client.diagnostics.get(uri('notes.txt')), undefined);
  assert.equal(client.diagnostics.get(uri('Dockerfile.dockerignore')), undefined);
});

test('hover explains ARG-supplied images and build args from settings', async (t) => {
  const { client, uri } = await session(t);
  const df = uri('Dockerfile');
  client.settings = () => ({ buildArgs: { TAG: '3.12' } });
  await client.open(df, 'ARG BASE=python\nARG TAG\nFROM ${BASE}:${TAG}\n');
  await client.waitDiagnostics(df);
  const h = hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: df }, position: { line: 2, character: 8 } }));
  assert.match(h, /`docker\.io\/library\/python:3\.12`/);
  assert.match(h, /`BASE` = `python` from `ARG BASE` on line 1/);
  assert.match(h, /`TAG` = `3\.12` from the `plimsoll\.buildArgs` setting/);
});

test('build context: a new file in the folder invalidates the cached context', async (t) => {
  const { client, uri, dir } = await session(t, { rules: [contextRule] }, {}, { 'app/Dockerfile': 'FROM node:20\nCOPY . .\n' });
  const df = uri('app/Dockerfile');
  await client.open(df, 'FROM node:20\nCOPY . .\n');
  assert.deepEqual(codes(await client.waitDiagnostics(df)), []);
  writeFileSync(join(dir, 'app', 'secret.txt'), 'x');
  const next = client.nextDiagnostics(df, (p) => codes(p).includes('PL994'));
  await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('app/secret.txt'), type: 1 }] });
  await next;
});

test('policy extends: a change in the extended file applies; a policy broken from the start is reported', async (t) => {
  const { client, uri, dir } = await session(t, {}, {}, { '.plimsoll.yaml': 'extends:\n  - org/base.yaml\n', 'org/base.yaml': 'pinning:\n  level: tag\n' });
  const df = uri('Dockerfile');
  await client.open(df, 'FROM python:3.12\n');
  assert.deepEqual(codes(await client.waitDiagnostics(df)), []);
  writeFileSync(join(dir, 'org', 'base.yaml'), 'images:\n  deny:\n    - image: python\n      reason: no\n');
  const denied = client.nextDiagnostics(df, (p) => codes(p).includes('PL102'));
  await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('org/base.yaml'), type: 2 }] });
  await denied;

  const other = uri('other/Dockerfile');
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', '.plimsoll.yaml'), 'pinning: [\n');
  const policyDiag = client.nextDiagnostics(uri('other/.plimsoll.yaml'), (p) => p.diagnostics.length > 0);
  const status = client.waitEvent<StatusParams>('status', (s) => s.uri === other, 5000);
  await client.open(other, 'FROM python:3.12\n');
  assert.equal((await policyDiag).diagnostics[0]!.severity, 1);
  assert.equal((await status).policyState, 'errors');
});

test('plimsoll/refreshRegistryCache refreshes the facts provider and re-checks', async (t) => {
  let refreshed = 0;
  const calls: string[][] = [];
  const facts: FactsProvider = {
    getFacts: (images) => {
      calls.push(images);
      return Promise.resolve(undefined);
    },
    refresh: () => {
      refreshed++;
    },
  };
  const { client, uri } = await session(t, { facts });
  const df = uri('Dockerfile');
  await client.open(df, 'FROM node:20\n');
  await client.waitDiagnostics(df);
  const again = client.nextDiagnostics(df);
  await client.connection.sendNotification('plimsoll/refreshRegistryCache');
  await again;
  assert.equal(refreshed, 1);
  assert.equal(calls.length, 2);
});

test('hover on COPY --from and RUN --mount=from: stages and images', async (t) => {
  const { client, uri } = await session(t);
  const df = uri('Dockerfile');
  await client.open(df, 'FROM node:20 AS build\nFROM node:20\nCOPY --from=build /a /b\nRUN --mount=type=bind,from=alpine:3.19,target=/x true\nCOPY --from=busybox:latest /bin/sh /sh\n');
  assert.deepEqual(codes(await client.waitDiagnostics(df)), ['PL302']);
  const hover = async (line: number, character: number) => hoverText(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: df }, position: { line, character } }));
  assert.match(await hover(2, 14), /COPY --from\*\* stage `build` \(line 1\)/);
  assert.match(await hover(3, 32), /RUN --mount=from\*\* `docker\.io\/library\/alpine:3\.19`/);
  const latest = await hover(4, 15);
  assert.match(latest, /`docker\.io\/library\/busybox:latest`/);
  assert.match(latest, /\[PL302\]\(https:[^)]+\)/);
});

test('policy extends by URL: refused in an untrusted workspace, never fetched by the editor', async (t) => {
  const policy = `extends:\n  - url: https://policies.example.test/org.yaml\n    integrity: sha256-${'A'.repeat(43)}=\nimages:\n  deny:\n    - image: ubuntu\n      reason: no\n`;
  for (const untrustedWorkspace of [true, false]) {
    const { client, uri } = await session(t, {}, { initializationOptions: { untrustedWorkspace } }, { '.plimsoll.yaml': policy });
    const df = uri('Dockerfile');
    const onPolicy = client.waitDiagnostics(uri('.plimsoll.yaml'), (p) => p.diagnostics.length > 0);
    await client.open(df, 'FROM ubuntu:24.04\n');
    const errors = await onPolicy;
    assert.deepEqual(errors.diagnostics.map((d) => [d.code, d.range.start.line]), [['extends-fetch', 1]]);
    assert.match(String(errors.diagnostics[0]!.message), untrustedWorkspace ? /untrusted/ : /was not fetched/);
  }
});
