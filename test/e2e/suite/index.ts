// Extension tests in @vscode/test-electron's `run()` shape. They run inside a real VS Code extension host
// (code-server's, driven by vscode.test.ts; or desktop VS Code through desktop.ts) against the installed
// .vsix. Every wait is on an event (diagnostics, file system), bounded by a deadline; nothing sleeps.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Tells the harness the diagnostics are on screen, with the codes it should see. Written under another name
 * and renamed, so the harness, which reads the file as soon as it appears, never reads it half-written.
 */
function signalReady(handshakeDir: string, codes: string): void {
  const tmp = join(handshakeDir, 'ready.tmp');
  writeFileSync(tmp, codes);
  renameSync(tmp, join(handshakeDir, 'ready'));
}

/** Written by the harness next to the compiled suite. */
interface SuiteConfig {
  workspace: string;
  /** Where the suite says "ready for a screenshot" and the harness answers; absent: no screenshot. */
  handshakeDir?: string;
  /**
   * `untrusted`: the workspace is in restricted mode; only the limited-mode checks run. `registry`: the
   * Dockerfile's images live in a registry on 127.0.0.1 and the policy wants digests. Default `trusted`.
   */
  mode?: 'trusted' | 'untrusted' | 'registry';
  registry?: { host: string; app: string; node: string };
}

const EXTENSION_ID = 'plimsoll.plimsoll';
const TIMEOUT_MS = 30_000;

function log(message: string): void {
  console.log(`[plimsoll e2e] ${message}`);
}

/** `start` subscribes and calls `done` when the awaited thing happened; the subscription ends either way. */
function deadline<T>(what: string, ms: number, start: (done: (v: T) => void) => vscode.Disposable | (() => void)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const disposers: Array<() => void> = [];
    const stop = (): void => {
      settled = true;
      clearTimeout(timer);
      for (const d of disposers.splice(0)) d();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const cleanup = start((v) => {
      stop();
      resolve(v);
    });
    disposers.push(typeof cleanup === 'function' ? cleanup : () => cleanup.dispose());
    if (settled) stop();
  });
}

const plimsollDiagnostics = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'plimsoll');
const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? ''));

/** Resolves with the document's plimsoll diagnostics once `accept` holds for them (now or after a change). */
function diagnosticsWhere(uri: vscode.Uri, what: string, accept: (ds: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  return deadline(what, TIMEOUT_MS, (done) => {
    const now = plimsollDiagnostics(uri);
    // Subscribe first, then check: no change can slip between the two.
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const ds = plimsollDiagnostics(uri);
      if (accept(ds)) done(ds);
    });
    if (accept(now)) queueMicrotask(() => done(now));
    return sub;
  });
}

/** Waits for a file the harness writes (fs.watch on the folder; the existence check covers a race). */
function fileAppears(path: string, dir: string): Promise<void> {
  return deadline(`${path}`, TIMEOUT_MS, (done) => {
    const w = watch(dir, () => {
      if (existsSync(path)) done();
    });
    if (existsSync(path)) queueMicrotask(() => done());
    return () => w.close();
  });
}

export async function run(): Promise<void> {
  const config = JSON.parse(readFileSync(join(__dirname, 'config.json'), 'utf8')) as SuiteConfig;
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  log(`extension ${ext.packageJSON.version as string} at ${ext.extensionPath}; trusted: ${vscode.workspace.isTrusted}`);

  const dockerfile = vscode.Uri.file(join(config.workspace, 'Dockerfile'));
  const doc = await vscode.workspace.openTextDocument(dockerfile);
  assert.equal(doc.languageId, 'dockerfile');
  await vscode.window.showTextDocument(doc);
  assert.ok(ext.isActive, 'opening a Dockerfile activates the extension');

  if (config.mode === 'registry') return runRegistry(config, doc);

  // 1. Diagnostics from the real server, with the policy in the workspace applied.
  // PL102: denied by the workspace policy (an unsafe replacement fix); PL302: `:latest` (no fix offline);
  // PL504: pip's cache left in the shipped stage (a safe fix, so fix-all has work).
  const expected = ['PL102', 'PL302', 'PL504'];
  const first = await diagnosticsWhere(dockerfile, expected.join(', '), (ds) => expected.every((c) => ds.some((d) => codeOf(d) === c)));
  log(`diagnostics: ${first.map((d) => `${codeOf(d)}@${d.range.start.line + 1}`).join(', ')}`);
  const denied = first.find((d) => codeOf(d) === 'PL102')!;
  assert.equal(denied.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(doc.getText(denied.range), 'ubuntu:16.04');
  assert.ok(!first.some((d) => codeOf(d) === 'PL301'), 'the inline pragma hides PL301');

  if (config.mode === 'untrusted') {
    // Limited mode: the server runs (no registry, no credential helpers) and still checks against the policy.
    assert.equal(vscode.workspace.isTrusted, false);
    if (config.handshakeDir) {
      signalReady(config.handshakeDir, JSON.stringify(first.map(codeOf)));
      await fileAppears(join(config.handshakeDir, 'shot'), config.handshakeDir);
    }
    log('untrusted: checked in limited mode');
    return;
  }
  assert.equal(vscode.workspace.isTrusted, true);

  // 2. Hover: the policy verdict (and provenance, once the server has registry facts).
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', dockerfile, denied.range.start.translate(0, 2))) ?? [];
  const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  log(`hover: ${hoverText.split('\n')[0] ?? ''}`);
  assert.match(hoverText, /\*\*denied\*\*/);
  assert.match(hoverText, /past end of standard support/);

  // 3. Screenshot of the Problems panel, taken by the harness while the diagnostics are on screen.
  if (config.handshakeDir) {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.window.showTextDocument(doc, { preserveFocus: false });
    signalReady(config.handshakeDir, JSON.stringify(first.map(codeOf)));
    await fileAppears(join(config.handshakeDir, 'shot'), config.handshakeDir);
  }

  // 4. Quick-fix: the PL102 replacement (an unsafe fix: offered, not preferred, not in fix-all).
  const quickFixes = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', dockerfile, denied.range, vscode.CodeActionKind.QuickFix.value, 20)) ?? [];
  log(`quick-fixes: ${quickFixes.map((a) => a.title).join(' | ')}`);
  const replace = quickFixes.find((a) => a.title === 'Replace with ubuntu:24.04');
  assert.ok(replace?.edit, 'a resolved "Replace with ubuntu:24.04" action');
  assert.ok(quickFixes.some((a) => a.title === 'Open docs for PL102' && a.command?.command === 'plimsoll.openRuleDocs'));
  const afterReplace = diagnosticsWhere(dockerfile, 'PL102 to go', (ds) => !ds.some((d) => codeOf(d) === 'PL102') && ds.length > 0);
  assert.ok(await vscode.workspace.applyEdit(replace.edit));
  assert.equal(doc.lineAt(denied.range.start.line).text, 'FROM ubuntu:24.04 AS build');
  await afterReplace;

  // 5. Fix-all (`source.fixAll.plimsoll`): the safe fixes only.
  const before = doc.getText();
  const fixAll = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', dockerfile, new vscode.Range(0, 0, doc.lineCount, 0), 'source.fixAll.plimsoll', 1)) ?? [];
  log(`fix-all: ${fixAll.map((a) => `${a.title} [${a.kind?.value ?? ''}]`).join(' | ') || 'none offered'}`);
  assert.equal(fixAll.length, 1, 'one fix-all action');
  assert.equal(fixAll[0]!.kind?.value, 'source.fixAll.plimsoll');
  assert.ok(fixAll[0]!.edit);
  assert.ok(await vscode.workspace.applyEdit(fixAll[0]!.edit));
  const after = doc.getText();
  assert.notEqual(after, before, 'fix-all changed the file');
  assert.match(after, /^RUN pip install --no-cache-dir flask$/m, 'the safe PL504 fix');
  assert.match(after, /^FROM python:latest$/m, 'fix-all leaves what has no safe fix');
  await diagnosticsWhere(dockerfile, 'PL504 to go', (ds) => !ds.some((d) => codeOf(d) === 'PL504') && ds.some((d) => codeOf(d) === 'PL302'));
  log(`fix-all applied (${before.length} -> ${after.length} chars)`);

  // 6. The client's own command: the effective policy as an untitled JSON document.
  await vscode.window.showTextDocument(doc);
  const opened = deadline<vscode.TextDocument>('the effective policy document', TIMEOUT_MS, (done) =>
    vscode.workspace.onDidOpenTextDocument((d) => {
      if (d.uri.scheme === 'untitled' && d.languageId === 'json') done(d);
    }),
  );
  await vscode.commands.executeCommand('plimsoll.showEffectivePolicy');
  const policyDoc = await opened;
  const effective = JSON.parse(policyDoc.getText()) as { policyFile: string | null; errors: unknown[] };
  assert.equal(effective.policyFile, join(config.workspace, '.plimsoll.yaml'));
  assert.deepEqual(effective.errors, []);
  log('effective policy shown');

  // 7. Open Policy File, from the Dockerfile; and Pin All Base Images (fix-all again: nothing left to fix).
  await vscode.window.showTextDocument(doc);
  const policyShown = deadline<vscode.TextEditor>('the policy file in an editor', TIMEOUT_MS, (done) =>
    vscode.window.onDidChangeActiveTextEditor((e) => {
      if (e?.document.uri.fsPath === effective.policyFile) done(e);
    }),
  );
  await vscode.commands.executeCommand('plimsoll.openPolicy');
  await policyShown;
  await vscode.window.showTextDocument(doc);
  const unchanged = doc.getText();
  await vscode.commands.executeCommand('plimsoll.pinAllBaseImages');
  assert.equal(doc.getText(), unchanged, 'nothing safe left to pin offline');
  log('open policy and pin-all commands ran');
}

/**
 * With a real registry: PL307 (a newer patch exists) needs registry facts, so its arrival says the facts are
 * in; then the hover shows provenance and "Pin All Base Images" pins both images to the digests the tags
 * resolve to.
 */
async function runRegistry(config: SuiteConfig, doc: vscode.TextDocument): Promise<void> {
  const reg = config.registry;
  assert.ok(reg, 'registry config');
  assert.equal(vscode.workspace.isTrusted, true);
  const uri = doc.uri;
  const withFacts = await diagnosticsWhere(uri, 'PL304 twice and PL307 (registry facts)', (ds) => ds.filter((d) => codeOf(d) === 'PL304').length === 2 && ds.some((d) => codeOf(d) === 'PL307'));
  log(`registry diagnostics: ${withFacts.map((d) => `${codeOf(d)}@${d.range.start.line + 1}`).join(', ')}`);

  const appRange = withFacts.find((d) => codeOf(d) === 'PL304' && d.range.start.line === 0)!.range;
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, appRange.start.translate(0, 2))) ?? [];
  const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  log(`registry hover: ${hoverText.length} chars`);
  assert.ok(hoverText.includes(reg.app.slice(0, 19)), `the hover shows the digest ${reg.app.slice(0, 19)}…:\n${hoverText}`);

  if (config.handshakeDir) {
    signalReady(config.handshakeDir, JSON.stringify(withFacts.map(codeOf)));
    await fileAppears(join(config.handshakeDir, 'shot'), config.handshakeDir);
  }

  await vscode.window.showTextDocument(doc);
  const pinned = diagnosticsWhere(uri, 'PL304 to go', (ds) => !ds.some((d) => codeOf(d) === 'PL304'));
  await vscode.commands.executeCommand('plimsoll.pinAllBaseImages');
  const text = doc.getText();
  assert.ok(text.includes(`${reg.host}/acme/app:1.0@${reg.app} AS app`), `app pinned:\n${text}`);
  assert.ok(text.includes(`${reg.host}/acme/node:20.11.0@${reg.node}`), `node pinned:\n${text}`);
  await pinned;
  log('pinned both base images to their digests');
}
