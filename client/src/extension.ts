// The VS Code face: starts dist/server.js and wires commands and the status item to it. All checking happens
// in the server; this file only knows VS Code and the protocol in server/src/lsp/protocol.ts.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { STATUS_NOTIFICATION, type InitializationOptions, type StatusParams } from '../../server/src/lsp/protocol.ts';
import { registerCommands } from './commands.ts';
import { PolicyStatus } from './status.ts';

const DOCKERFILES = [
  { scheme: 'file', language: 'dockerfile' },
  { scheme: 'untitled', language: 'dockerfile' },
  { scheme: 'file', pattern: '**/{Containerfile,*.Dockerfile,Dockerfile.*,Dockerfile}' },
];
// Policy files are synced too, so the server can report their errors where they are.
const DOCUMENT_SELECTOR = [...DOCKERFILES, { scheme: 'file', pattern: '**/.plimsoll.{yaml,yml}' }];

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Plimsoll', { log: true });
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    // No client-side file watchers: the server registers its own (policy files, what they extend,
    // ignore files, build-context changes), and a second set would deliver every event twice.
    // A function, so a restart after trust is granted sends the new value.
    initializationOptions: (): InitializationOptions => ({ untrustedWorkspace: !vscode.workspace.isTrusted }),
    outputChannel: output,
  };
  // The id `plimsoll` makes the client follow the `plimsoll.trace.server` setting.
  const lc = new LanguageClient('plimsoll', 'Plimsoll', serverOptions, clientOptions);
  client = lc;

  const status = new PolicyStatus(DOCKERFILES);
  context.subscriptions.push(output, status, lc.onNotification(STATUS_NOTIFICATION, (p: StatusParams) => status.update(p)));
  registerCommands(context, lc, status);
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      status.clear();
      lc.restart().catch((e: unknown) => output.error(`Restart after workspace trust failed: ${String(e)}`));
    }),
  );
  await lc.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
