// Entry point of dist/server.js. The transport comes from the command line (`--stdio`, `--node-ipc`,
// `--socket=<port>`, `--pipe=<name>`), as vscode-languageserver reads it.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server.ts';
import { registryFactsProvider } from './registryFacts.ts';

const connection = createConnection(ProposedFeatures.all);

// Last line of defence: a bug anywhere is logged, and the server keeps answering.
const report = (what: string) => (e: unknown) => {
  try {
    connection.console.error(`plimsoll: ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } catch {
    process.stderr.write(`plimsoll: ${what}: ${String(e)}\n`);
  }
};
process.on('uncaughtException', report('uncaught exception'));
process.on('unhandledRejection', report('unhandled rejection'));

// PLIMSOLL_NO_REGISTRY=1 keeps the server offline-only (tests, air-gapped machines without a cache).
startServer(connection, process.env.PLIMSOLL_NO_REGISTRY === '1' ? {} : { facts: registryFactsProvider() });
connection.listen();
