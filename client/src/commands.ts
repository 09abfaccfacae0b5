// The contributed commands. Each asks the server (standard code actions, or the custom requests in
// protocol.ts) and renders the answer; none computes anything itself.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import {
  EFFECTIVE_POLICY_REQUEST,
  OPEN_RULE_DOCS_COMMAND,
  REFRESH_REGISTRY_NOTIFICATION,
  type EffectivePolicyParams,
  type EffectivePolicyResult,
} from '../../server/src/lsp/protocol.ts';
import type { PolicyStatus } from './status.ts';

const REFRESH_COMMAND = 'plimsoll.refreshRegistryCache';
/**
 * The server-side command, when the server offers one. It cannot be `plimsoll.refreshRegistryCache` itself:
 * vscode-languageclient registers every server command as a VS Code command, which would clash with ours.
 */
const SERVER_REFRESH_COMMAND = 'plimsoll.server.refreshRegistryCache';
/** Rules that a digest or tag pin fixes. */
const PINNING_RULES = new Set(['PL301', 'PL302', 'PL303', 'PL304']);

export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, status: PolicyStatus): void {
  const register = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };

  register('plimsoll.pinAllBaseImages', () => pinAll(status));
  register(REFRESH_COMMAND, () => refreshRegistryCache(client));
  register('plimsoll.showEffectivePolicy', () => showEffectivePolicy(client));
  register('plimsoll.openPolicy', (arg) => openPolicy(client, status, arg));
  register(OPEN_RULE_DOCS_COMMAND, (url) => openRuleDocs(url));
}

function activeDocument(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) void vscode.window.showInformationMessage('Plimsoll: open a Dockerfile first.');
  return doc;
}

/**
 * Applies the preferred (safe) quick-fix of every pinning diagnostic in one edit: a digest pin needs the
 * registry's answer, so what is left unpinned is reported with the likely reason.
 */
async function pinAll(status: PolicyStatus): Promise<void> {
  const doc = activeDocument();
  if (!doc) return;
  const version = doc.version;
  const pinning = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'plimsoll' && PINNING_RULES.has(codeOf(d)));
  const edit = new vscode.WorkspaceEdit();
  const taken: vscode.Range[] = [];
  let pinned = 0;
  for (const d of pinning) {
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value, 50)) ?? [];
    // The server's preferred quick-fix is its safe one; actions from the API command carry no diagnostics
    // to match, but the request covers only this image's range.
    const fix = actions.find((a) => a.isPreferred && a.edit);
    const edits = fix?.edit?.get(doc.uri) ?? [];
    // Two rules on one image may both offer an edit there; the first wins.
    if (edits.length === 0 || edits.some((e) => taken.some((r) => r.intersection(e.range) !== undefined))) continue;
    for (const e of edits) {
      edit.replace(doc.uri, e.range, e.newText);
      taken.push(e.range);
    }
    pinned++;
  }
  if (doc.version !== version) {
    void vscode.window.showWarningMessage('Plimsoll: the file changed while the pins were computed; nothing was changed. Run the command again.');
    return;
  }
  if (pinned > 0) {
    const published = nextDiagnostics(doc.uri);
    if (!(await vscode.workspace.applyEdit(edit))) published.cancel();
    // The count below must come from the check of the pinned text, not the one before it.
    await published;
  }
  const left = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'plimsoll' && PINNING_RULES.has(codeOf(d))).length;
  const done = pinned > 0 ? `Pinned ${pinned} base image${pinned === 1 ? '' : 's'}.` : 'Nothing to pin safely.';
  const s = status.get(doc.uri);
  const why = s && !s.trusted ? 'the workspace is untrusted, so the registry is off' : s?.offline ? '`plimsoll.offline` is on' : 'no registry answer for them, or no safe pin';
  const rest = left > 0 ? ` ${left} pinning problem${left === 1 ? '' : 's'} left (${why}).` : '';
  void vscode.window.showInformationMessage(`Plimsoll: ${done}${rest}`);
}

/** Resolves at the next diagnostics change for `uri`, or after `timeoutMs` (a server that is busy or gone). */
function nextDiagnostics(uri: vscode.Uri, timeoutMs = 5000): Promise<void> & { cancel(): void } {
  let done!: () => void;
  const p = new Promise<void>((resolve) => (done = resolve));
  const timer = setTimeout(() => finish(), timeoutMs);
  const sub = vscode.languages.onDidChangeDiagnostics((e) => {
    if (e.uris.some((u) => u.toString() === uri.toString())) finish();
  });
  function finish(): void {
    clearTimeout(timer);
    sub.dispose();
    done();
  }
  return Object.assign(p, { cancel: finish });
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
}

async function refreshRegistryCache(client: LanguageClient): Promise<void> {
  const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  if (commands.includes(SERVER_REFRESH_COMMAND)) await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_REFRESH_COMMAND, arguments: [] });
  else await client.sendNotification(REFRESH_REGISTRY_NOTIFICATION);
  void vscode.window.showInformationMessage('Plimsoll: registry cache refresh requested; open Dockerfiles are checked again.');
}

async function effectivePolicy(client: LanguageClient, uri: vscode.Uri): Promise<EffectivePolicyResult | null> {
  const params: EffectivePolicyParams = { uri: client.code2ProtocolConverter.asUri(uri) };
  return client.sendRequest<EffectivePolicyResult | null>(EFFECTIVE_POLICY_REQUEST, params);
}

async function showEffectivePolicy(client: LanguageClient): Promise<void> {
  const doc = activeDocument();
  if (!doc) return;
  const result = await effectivePolicy(client, doc.uri);
  if (!result) {
    void vscode.window.showWarningMessage('Plimsoll: the server has no policy for this document.');
    return;
  }
  const content = JSON.stringify(result, null, 2);
  const shown = await vscode.workspace.openTextDocument({ language: 'json', content });
  await vscode.window.showTextDocument(shown, { preview: false, viewColumn: vscode.ViewColumn.Beside });
}

async function openPolicy(client: LanguageClient, status: PolicyStatus, arg: unknown): Promise<void> {
  let file: vscode.Uri | undefined = arg instanceof vscode.Uri ? arg : undefined;
  if (!file) {
    const doc = activeDocument();
    if (!doc) return;
    const known = status.get(doc.uri)?.policyFile;
    const path = known ?? (await effectivePolicy(client, doc.uri))?.policyFile;
    if (path) file = vscode.Uri.file(path);
  }
  if (!file) {
    void vscode.window.showInformationMessage('Plimsoll: no .plimsoll.yaml applies to this file; the built-in default policy is in force.');
    return;
  }
  await vscode.window.showTextDocument(file);
}

async function openRuleDocs(url: unknown): Promise<void> {
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return;
  await vscode.env.openExternal(vscode.Uri.parse(url));
}
