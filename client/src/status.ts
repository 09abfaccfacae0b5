// The language status item ({} in the status bar next to "Dockerfile"): which policy is in force for the
// active document and whether the registry is consulted. Fed by the server's `plimsoll/status`.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { StatusParams } from '../../server/src/lsp/protocol.ts';

export class PolicyStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly byUri = new Map<string, StatusParams>();
  private readonly subscription: vscode.Disposable;

  constructor(selector: vscode.DocumentSelector) {
    this.item = vscode.languages.createLanguageStatusItem('plimsoll.status', selector);
    this.item.name = 'Plimsoll';
    this.item.text = 'Plimsoll';
    this.item.detail = 'starting';
    this.item.busy = true;
    this.subscription = vscode.window.onDidChangeActiveTextEditor(() => this.render());
  }

  /** What the server last said about a document (by its URI as the server knows it). */
  get(uri: vscode.Uri): StatusParams | undefined {
    return this.byUri.get(uri.toString());
  }

  update(p: StatusParams): void {
    this.byUri.set(p.uri, p);
    this.render();
  }

  clear(): void {
    this.byUri.clear();
    this.render();
  }

  private render(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const s = uri ? this.get(uri) : undefined;
    this.item.busy = false;
    if (!s) {
      this.item.text = 'Plimsoll';
      this.item.detail = 'waiting for the first check';
      this.item.severity = vscode.LanguageStatusSeverity.Information;
      this.item.command = undefined;
      return;
    }
    const policy = s.policyFile ? basename(s.policyFile) : 'default policy';
    const problems =
      s.policyState === 'errors'
        ? ` (${s.policyErrors} error${s.policyErrors === 1 ? '' : 's'})`
        : s.policyState === 'last-good'
          ? ' (broken: last good version in force)'
          : '';
    this.item.text = `Plimsoll: ${policy}${problems}`;
    const registry = !s.trusted ? 'untrusted: registry off' : s.offline ? 'registry offline' : 'registry online';
    this.item.detail = s.skipped ? `not checked: ${s.skipped}` : registry;
    // Limited mode in an untrusted workspace is a normal state, not a problem: it stays Information.
    this.item.severity =
      s.policyState === 'errors' ? vscode.LanguageStatusSeverity.Error : s.policyState === 'last-good' ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
    this.item.command = s.policyFile
      ? { title: 'Open policy', command: 'plimsoll.openPolicy', arguments: [vscode.Uri.file(s.policyFile)] }
      : { title: 'Show effective policy', command: 'plimsoll.showEffectivePolicy' };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
