// A real LSP client for tests: JSON-RPC over streams to a spawned `node server.js --stdio` or to an
// in-process server. It answers the requests a client must answer (configuration, registrations, progress
// tokens) and records notifications, which tests wait on with bounded timeouts instead of sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { EventEmitter } from 'node:events';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import {
  createConnection,
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
  type LogMessageParams,
} from 'vscode-languageserver/node';
import { startServer, type ServerOptions } from '../../../server/src/lsp/server.ts';
import type { StatusParams } from '../../../server/src/lsp/protocol.ts';

const ROOT = join(__dirname, '..', '..', '..');

// As in server/build.mjs: undici is its own file, undici.js beside server.js, required on the first request.
const undiciChunk: Plugin = {
  name: 'undici-chunk',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-chunk' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-chunk' }, () => ({ contents: 'module.exports = require("./undici.js");' }));
    b.onResolve({ filter: /^\.\/undici\.js$/, namespace: 'undici-chunk' }, () => ({ path: './undici.js', external: true }));
  },
};

let built: Promise<string> | undefined;
/** Bundles server/src/lsp/main.ts like server/build.mjs does, into a temp folder (dist/ may be stale or busy). */
export function buildServer(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-lsp-bundle-'));
    const outfile = join(dir, 'server.js');
    // Resolved as server/build.mjs resolves the shipped bundle (CommonJS builds of the vscode-languageserver helpers).
    const common: BuildOptions = {
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
      conditions: [],
      absWorkingDir: ROOT,
      alias: { 'vscode-languageserver-textdocument': './node_modules/vscode-languageserver-textdocument/lib/umd/main.js' },
    };
    await Promise.all([
      build({
        ...common,
        entryPoints: [join(ROOT, 'server/src/lsp/main.ts')],
        outfile,
        plugins: [undiciChunk],
        define: { PLIMSOLL_VERSION: JSON.stringify('0.0.0-test') },
      }),
      build({ ...common, entryPoints: [join(ROOT, 'node_modules/undici/index.js')], outfile: join(dir, 'undici.js') }),
    ]);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    return outfile;
  })();
  return built;
}

export const FULL_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, resourceOperations: ['create'] },
    inlayHint: { refreshSupport: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false },
    publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      dataSupport: true,
      isPreferredSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
    },
    inlayHint: {},
  },
  window: { workDoneProgress: true },
};

export interface Waitable {
  events: EventEmitter;
}

export class TestClient {
  readonly events = new EventEmitter();
  readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  readonly logs: LogMessageParams[] = [];
  readonly statuses: StatusParams[] = [];
  readonly progress: unknown[] = [];
  readonly registrations: unknown[] = [];
  /** Answers `workspace/configuration`; tests replace it. */
  settings: (scopeUri: string | undefined) => unknown = () => ({ debounceMs: 20 });
  configurationRequests = 0;
  stderr = '';

  private constructor(
    readonly connection: MessageConnection,
    private readonly stop: () => Promise<void>,
    readonly child?: ChildProcess,
  ) {
    this.events.setMaxListeners(100);
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, [...(this.diagnostics.get(p.uri) ?? []), p]);
      this.events.emit('diagnostics', p);
    });
    connection.onNotification('window/logMessage', (p: LogMessageParams) => {
      this.logs.push(p);
      this.events.emit('log', p);
    });
    connection.onNotification('plimsoll/status', (p: StatusParams) => {
      this.statuses.push(p);
      this.events.emit('status', p);
    });
    connection.onNotification('$/progress', (p: unknown) => {
      this.progress.push(p);
      this.events.emit('progress', p);
    });
    connection.onRequest('workspace/configuration', (p: { items: Array<{ scopeUri?: string; section?: string }> }) => {
      this.configurationRequests++;
      return p.items.map((i) => (i.section === 'plimsoll' ? this.settings(i.scopeUri) : null));
    });
    connection.onRequest('client/registerCapability', (p: unknown) => {
      this.registrations.push(p);
      this.events.emit('register', p);
      return null;
    });
    connection.onRequest('window/workDoneProgress/create', (p: unknown) => {
      this.events.emit('progressCreate', p);
      return null;
    });
    connection.onRequest('workspace/inlayHint/refresh', () => {
      this.events.emit('inlayRefresh');
      return null;
    });
    connection.listen();
  }

  static async spawn(serverPath: string, env?: NodeJS.ProcessEnv): Promise<TestClient> {
    const child = spawn(process.execPath, [serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new TestClient(
      connection,
      async () => {
        try {
          await withTimeout(connection.sendRequest('shutdown'), 2000, 'shutdown');
          await connection.sendNotification('exit');
        } catch {
          // fall through to kill
        }
        const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
        await withTimeout(exited, 2000, 'exit').catch(() => child.kill('SIGKILL'));
        connection.dispose();
      },
      child,
    );
    child.stderr!.on('data', (d: Buffer) => (client.stderr += d.toString()));
    return client;
  }

  static inProcess(options: ServerOptions = {}): TestClient {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    // MessageReader/Writer (not raw streams), so the server library does not exit the process on close.
    const serverConnection = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    const handle = startServer(serverConnection, options);
    serverConnection.listen();
    const connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    return new TestClient(connection, async () => {
      handle.dispose();
      connection.dispose();
      serverConnection.dispose();
    });
  }

  async initialize(rootDir: string, extra: { capabilities?: ClientCapabilities; initializationOptions?: unknown } = {}): Promise<InitializeResult> {
    const uri = pathUri(rootDir);
    const result = await withTimeout(
      this.connection.sendRequest<InitializeResult>('initialize', {
        processId: null,
        rootUri: uri,
        workspaceFolders: [{ uri, name: 'ws' }],
        capabilities: extra.capabilities ?? FULL_CAPABILITIES,
        initializationOptions: extra.initializationOptions,
      }),
      10_000,
      'initialize',
    );
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  async open(uri: string, text: string, languageId = 'dockerfile', version = 1): Promise<void> {
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  async change(uri: string, version: number, text: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<R>(method: string, params: unknown, timeoutMs = 10_000): Promise<R> {
    return withTimeout(this.connection.sendRequest<R>(method, params), timeoutMs, method);
  }

  /** The latest diagnostics for `uri` if they satisfy `pred`, else the next ones that do. */
  waitDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 8000): Promise<PublishDiagnosticsParams> {
    const latest = this.diagnostics.get(uri)?.at(-1);
    if (latest && pred(latest)) return Promise.resolve(latest);
    return this.waitEvent<PublishDiagnosticsParams>('diagnostics', (p) => p.uri === uri && pred(p), timeoutMs, `diagnostics for ${uri}`);
  }

  /** Only diagnostics published after this call. */
  nextDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 8000): Promise<PublishDiagnosticsParams> {
    return this.waitEvent<PublishDiagnosticsParams>('diagnostics', (p) => p.uri === uri && pred(p), timeoutMs, `next diagnostics for ${uri}`);
  }

  waitEvent<T>(event: string, pred: (p: T) => boolean, timeoutMs: number, what = event): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(event, on);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const on = (p: T) => {
        if (!pred(p)) return;
        clearTimeout(timer);
        this.events.off(event, on);
        resolve(p);
      };
      this.events.on(event, on);
    });
  }

  dispose(): Promise<void> {
    return this.stop();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function pathUri(p: string): string {
  return pathToFileURL(p).href;
}

export function tempWorkspace(prefix = 'plimsoll-lsp-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const codes = (p: PublishDiagnosticsParams): string[] => p.diagnostics.map((d) => String(d.code));
