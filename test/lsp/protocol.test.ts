// The bundled server over stdio, driven by a real JSON-RPC client: the whole protocol surface and its
// robustness. Asserts rule ids, ranges and versions, never message prose. Waits on notifications, never sleeps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeAction,
  Hover,
  InitializeResult,
  InlayHint,
  PublishDiagnosticsParams,
  TextDocumentEdit,
} from 'vscode-languageserver/node';
import { TestClient, buildServer, codes, pathUri, tempWorkspace } from './support/client.ts';
import type { EffectivePolicyResult, StatusParams } from '../../server/src/lsp/protocol.ts';

const POLICY = `images:
  allow:
    - image: node
      tags: ["20.*"]
    - image: ubuntu
      tags: ["24.04"]
  deny:
    - image: ubuntu
      tags: ["16.04"]
      reason: End of life
      replacement: ubuntu:24.04
`;
const POLICY_ALLOWS_PYTHON = `${POLICY.replace('  deny:', '    - image: python\n  deny:')}`;
const DOCKERFILE = 'FROM python:3.12\nFROM ubuntu:16.04 AS old\nFROM node:20.11.1\n';

const at = (p: PublishDiagnosticsParams): string[] => p.diagnostics.map((d) => `${String(d.code)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`);
const hoverText = (h: Hover | null): string => (h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');

describe('language server over stdio', () => {
  let dir: string;
  let client: TestClient;
  let init: InitializeResult;
  let uri: string;
  let policyPath: string;
  let version = 1;

  before(async () => {
    dir = tempWorkspace();
    mkdirSync(join(dir, 'app'));
    policyPath = join(dir, '.plimsoll.yaml');
    writeFileSync(policyPath, POLICY);
    writeFileSync(join(dir, 'app', 'Dockerfile'), DOCKERFILE);
    uri = pathUri(join(dir, 'app', 'Dockerfile'));
    client = await TestClient.spawn(await buildServer());
    const registered = client.waitEvent('register', (r) => JSON.stringify(r).includes('workspace/didChangeWatchedFiles'), 5000);
    init = await client.initialize(dir);
    await registered;
  });

  after(async () => {
    await client?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('initialize advertises the features and registers file watchers', () => {
    const caps = init.capabilities;
    assert.equal(caps.hoverProvider, true);
    assert.deepEqual(caps.codeActionProvider, { codeActionKinds: ['quickfix', 'source.fixAll.plimsoll'], resolveProvider: true });
    assert.ok(caps.inlayHintProvider);
    assert.equal(caps.executeCommandProvider, undefined, 'plimsoll.openRuleDocs is the client\'s command');
    const watchers = JSON.stringify(client.registrations);
    assert.match(watchers, /workspace\/didChangeWatchedFiles/);
    assert.match(watchers, /\.plimsoll\.\{yaml,yml\}/);
  });

  test('didOpen publishes findings with rule ids, ranges, docs links and data', async () => {
    const status = client.waitEvent<StatusParams>('status', (s) => s.uri === uri, 5000);
    await client.open(uri, DOCKERFILE);
    const p = await client.waitDiagnostics(uri, (x) => x.version === 1);
    assert.deepEqual(at(p), ['PL101@0:5-0:16', 'PL102@1:5-1:17']);
    for (const d of p.diagnostics) {
      assert.equal(d.source, 'plimsoll');
      assert.match(d.codeDescription?.href ?? '', new RegExp(`/docs/rules/${String(d.code)}-[a-z-]+\\.md$`));
      assert.equal(typeof (d.data as { fingerprint: string }).fingerprint, 'string');
    }
    assert.deepEqual(p.diagnostics.map((d) => d.severity), [1, 1]);
    const s = await status;
    assert.equal(s.policyFile, policyPath);
    assert.equal(s.policyState, 'ok');
    assert.equal(s.trusted, true);
    assert.ok(client.configurationRequests > 0, 'settings are pulled with workspace/configuration');
  });

  test('didChange re-publishes for the newest version only', async () => {
    const before = client.diagnostics.get(uri)!.length;
    version++;
    await client.change(uri, version, 'FROM python:3.12\n');
    version++;
    await client.change(uri, version, 'FROM python:3.12\nFROM node:18\n');
    const p = await client.waitDiagnostics(uri, (x) => x.version === version);
    assert.deepEqual(at(p), ['PL101@0:5-0:16', 'PL101@1:5-1:12']);
    // Flush: a request answered after the last publication.
    await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    const published = client.diagnostics.get(uri)!.slice(before).map((x) => x.version);
    const last = published.lastIndexOf(version);
    assert.ok(published.slice(last).every((v) => v === version), `an older version was published after ${version}: ${published.join(',')}`);
    for (let i = 1; i < published.length; i++) assert.ok(published[i]! >= published[i - 1]!, `versions went backwards: ${published.join(',')}`);
    version++;
    await client.change(uri, version, DOCKERFILE);
    await client.waitDiagnostics(uri, (x) => x.version === version);
  });

  test('code actions: quick-fix, suppress and docs, with edits resolved lazily', async () => {
    const p = await client.waitDiagnostics(uri, (x) => x.version === version);
    const denied = p.diagnostics.find((d) => d.code === 'PL102')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: denied.range,
      context: { diagnostics: [denied] },
    });
    const titles = actions.map((a) => a.title);
    assert.deepEqual(titles, ['Replace with ubuntu:24.04', 'Suppress PL102 with a reason', 'Open docs for PL102']);
    const [replace, suppress, docs] = actions as [CodeAction, CodeAction, CodeAction];
    assert.equal(replace.kind, 'quickfix');
    assert.notEqual(replace.isPreferred, true, 'an unsafe fix is not preferred');
    assert.equal(replace.edit, undefined, 'the client supports resolve, so the edit comes later');
    assert.deepEqual(replace.diagnostics?.map((d) => d.code), ['PL102']);
    assert.equal(docs.command?.command, 'plimsoll.openRuleDocs');
    assert.match(String(docs.command?.arguments?.[0]), /PL102-denied-base-image\.md$/);

    const resolved = await client.request<CodeAction>('codeAction/resolve', replace);
    const change = resolved.edit?.documentChanges?.[0] as TextDocumentEdit;
    assert.deepEqual(change.textDocument, { uri, version });
    assert.deepEqual(change.edits, [{ range: { start: { line: 1, character: 5 }, end: { line: 1, character: 17 } }, newText: 'ubuntu:24.04' }]);

    const sup = await client.request<CodeAction>('codeAction/resolve', suppress);
    const supEdit = sup.edit?.documentChanges?.[0] as TextDocumentEdit;
    assert.deepEqual(supEdit.edits, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: '# plimsoll ignore=PL102 reason=""\n' }]);

    // Fix-all takes safe fixes only; the only fix here is unsafe.
    const fixAll = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    });
    assert.deepEqual(fixAll, []);
  });

  test('fix-all end to end: the safe fix of a real rule, resolved lazily, with the preferred quick-fix', async () => {
    const alpine = pathUri(join(dir, 'app', 'alpine.Dockerfile'));
    await client.open(alpine, 'FROM node:20.11.1-alpine\nRUN apk add curl\n');
    const p = await client.waitDiagnostics(alpine);
    assert.deepEqual(at(p), ['PL504@1:4-1:11']);
    const quick = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: alpine }, range: p.diagnostics[0]!.range, context: { diagnostics: p.diagnostics } });
    assert.equal(quick[0]!.isPreferred, true);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: alpine },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    });
    assert.deepEqual(actions.map((a) => [a.kind, a.edit]), [['source.fixAll.plimsoll', undefined]]);
    const resolved = await client.request<CodeAction>('codeAction/resolve', actions[0]);
    const change = resolved.edit?.documentChanges?.[0] as TextDocumentEdit;
    assert.deepEqual(change.textDocument, { uri: alpine, version: 1 });
    assert.deepEqual(change.edits.map((e) => e.range), [{ start: { line: 1, character: 11 }, end: { line: 1, character: 11 } }]);
    await client.close(alpine);
  });

  test('hover on an image shows the normalised reference and the verdict', async () => {
    const approved = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 8 } });
    assert.match(hoverText(approved), /docker\.io\/library\/node:20\.11\.1/);
    assert.match(hoverText(approved), /approved\*\* by `docker\.io\/library\/node`/);
    assert.match(hoverText(approved), /\.plimsoll\.yaml:3\]\(file:/);
    assert.deepEqual(approved?.range, { start: { line: 2, character: 5 }, end: { line: 2, character: 17 } });
    const denied = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 6 } });
    assert.match(hoverText(denied), /\*\*denied\*\*/);
    assert.match(hoverText(denied), /ubuntu:24\.04/);
    assert.match(hoverText(denied), /\[PL102\]\(https:/);
    const unapproved = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 1 } });
    assert.match(hoverText(unapproved), /not approved/);
    const nothing = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 0 } });
    assert.equal(nothing, null);
  });

  test('inlay hints answer (empty without registry facts)', async () => {
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
    });
    assert.deepEqual(hints, []);
  });

  test('a changed policy file re-publishes diagnostics', async () => {
    writeFileSync(policyPath, POLICY_ALLOWS_PYTHON);
    const next = client.nextDiagnostics(uri, (x) => !codes(x).includes('PL101'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathUri(policyPath), type: 2 }] });
    assert.deepEqual(at(await next), ['PL102@1:5-1:17']);
  });

  test('a broken policy is reported on the policy file and the last good one stays in force', async () => {
    const policyUri = pathUri(policyPath);
    writeFileSync(policyPath, `${POLICY_ALLOWS_PYTHON}pinning:\n  level: sometimes\n`);
    const onPolicy = client.nextDiagnostics(policyUri, (x) => x.diagnostics.length > 0);
    const status = client.waitEvent<StatusParams>('status', (s) => s.uri === uri && s.policyState === 'last-good', 5000);
    const onDockerfile = client.nextDiagnostics(uri);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: policyUri, type: 2 }] });
    const errors = await onPolicy;
    assert.deepEqual(errors.diagnostics.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character]), [['enum', 1, 13, 9]]);
    assert.deepEqual(at(await onDockerfile), ['PL102@1:5-1:17'], 'the last good policy (python allowed) still applies');
    assert.equal((await status).policyErrors, 1);

    const effective = await client.request<EffectivePolicyResult>('plimsoll/effectivePolicy', { uri });
    assert.equal(effective.policyFile, policyPath);
    assert.equal(effective.usingLastGood, true);
    assert.deepEqual(effective.files, [policyPath]);
    assert.equal(effective.errors.length, 1);
    assert.ok(effective.policy.allowedImages?.some((m) => m.image === 'docker.io/library/python'));

    writeFileSync(policyPath, POLICY);
    const cleared = client.nextDiagnostics(policyUri, (x) => x.diagnostics.length === 0);
    const back = client.nextDiagnostics(uri, (x) => codes(x).includes('PL101'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: policyUri, type: 2 }] });
    await cleared;
    assert.deepEqual(at(await back), ['PL101@0:5-0:16', 'PL102@1:5-1:17']);
  });

  test('a binary or a 10 MB policy file is reported on the file; the server keeps the last good policy', async () => {
    const policyUri = pathUri(policyPath);
    for (const bad of [Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)), Buffer.alloc(10 * 1024 * 1024, 'a: b\n')]) {
      writeFileSync(policyPath, bad);
      const onPolicy = client.nextDiagnostics(policyUri, (x) => x.diagnostics.length > 0);
      const onDockerfile = client.nextDiagnostics(uri);
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: policyUri, type: 2 }] });
      const errors = await onPolicy;
      assert.deepEqual(errors.diagnostics.map((d) => [d.range.start.line, d.range.start.character]), [[0, 0]]);
      assert.deepEqual(at(await onDockerfile), ['PL101@0:5-0:16', 'PL102@1:5-1:17'], 'the last good policy stays in force');
    }
    writeFileSync(policyPath, POLICY);
    const cleared = client.nextDiagnostics(policyUri, (x) => x.diagnostics.length === 0);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: policyUri, type: 2 }] });
    await cleared;
  });

  test('an open policy file is read from the editor, not the disk', async () => {
    const policyUri = pathUri(policyPath);
    const next = client.nextDiagnostics(uri, (x) => !codes(x).includes('PL101'));
    await client.open(policyUri, POLICY_ALLOWS_PYTHON, 'yaml');
    assert.deepEqual(at(await next), ['PL102@1:5-1:17']);
    const back = client.nextDiagnostics(uri, (x) => codes(x).includes('PL101'));
    await client.close(policyUri);
    assert.deepEqual(at(await back), ['PL101@0:5-0:16', 'PL102@1:5-1:17']);
  });

  test('settings are pulled per resource and re-read on didChangeConfiguration', async () => {
    client.settings = () => ({ debounceMs: 20, severity: { PL101: 'off', PL102: 'info' }, buildArgs: 'junk', offline: 'yes' });
    const next = client.nextDiagnostics(uri, (x) => !codes(x).includes('PL101'));
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const p = await next;
    assert.deepEqual(at(p), ['PL102@1:5-1:17']);
    assert.equal(p.diagnostics[0]!.severity, 3, 'info maps to Information');
    client.settings = () => ({ debounceMs: 20 });
    const back = client.nextDiagnostics(uri, (x) => codes(x).includes('PL101'));
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await back;
  });

  test('survives malformed input, unknown documents, huge lines and binary content', async () => {
    const child = client.child!;
    // A body that is not JSON, then one that is JSON but not a message.
    child.stdin!.write('Content-Length: 12\r\n\r\n{not json!!}');
    child.stdin!.write('Content-Length: 2\r\n\r\n[]');
    await client.change('file:///nowhere/Dockerfile', 7, 'FROM x\n');
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///nowhere/Dockerfile' } });
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: null });
    // A request with bad params is answered (null or an error), not a crash.
    await client.request('textDocument/hover', { textDocument: { uri } }).catch(() => undefined);

    const hugeUri = pathUri(join(dir, 'app', 'huge.Dockerfile'));
    await client.open(hugeUri, `FROM node:20\nRUN echo ${'a'.repeat(1_000_000)}\n`, 'plaintext');
    const huge = await client.waitDiagnostics(hugeUri);
    // The engine checks the start of the 1M-character line and says it skipped the rest (PL904).
    assert.ok(huge.diagnostics.some((d) => d.code === 'PL904'), JSON.stringify(huge.diagnostics.map((d) => d.code)));

    const binUri = pathUri(join(dir, 'app', 'Containerfile'));
    const junk = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    await client.open(binUri, junk, 'plaintext');
    await client.waitDiagnostics(binUri);
    await client.request('textDocument/hover', { textDocument: { uri: binUri }, position: { line: 3, character: 2 } });
    await client.request('textDocument/codeAction', { textDocument: { uri: binUri }, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } }, context: { diagnostics: [] } });

    const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 8 } });
    assert.match(hoverText(h), /docker\.io\/library\/node/);
    assert.equal(child.exitCode, null, 'the server is still running');
    assert.doesNotMatch(client.stderr, /uncaught/i);
    assert.ok(!client.logs.some((l) => /uncaught exception|unhandled rejection/.test(l.message)), 'nothing escaped the handlers');
  });
});
