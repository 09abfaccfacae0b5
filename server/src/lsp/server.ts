// The language server: wires LSP requests and notifications to the checker and the feature modules.
// Invariants: every handler is guarded (an exception is logged and answered with an empty result); a
// document's diagnostics are only published for its current version by its latest run; offline findings are
// published before any registry facts are awaited.
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  CancellationTokenSource,
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
  WatchKind,
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  type Connection,
  type Hover,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { RegistryFacts } from '../core/facts.ts';
import type { Rule } from '../core/rule.ts';
import { normalisedName } from '../core/imageRef.ts';
import { defaultPolicy } from '../core/policy.ts';
import { factsWanted } from '../core/registryView.ts';
import { Checker, statusOf, type CheckState } from './checker.ts';
import { codeActions, isActionData, resolveEdit, type EditSupport } from './codeActions.ts';
import { BuildContextCache } from './contextCache.ts';
import { findingDiagnostics, policyErrorDiagnostic, tooLargeDiagnostic } from './diagnostics.ts';
import { baseName, isDockerfile, isPolicyFile, MAX_EDITOR_CHARS, pathToUri, uriToPath } from './documents.ts';
import { hoverTarget, imageHover, pragmaHover } from './hover.ts';
import { computeInlayHints, factsFor } from './inlayHints.ts';
import { PolicyStore } from './policyStore.ts';
import { readCachedPolicy } from '../registry/policyFetch.ts';
import { withProgress } from './progress.ts';
import { noFacts, type FactsProvider, type ProvenanceProvider, type ProviderContext } from './providers.ts';
import { instructionLayer, provenance, renderProvenanceMarkdown } from '../core/provenance.ts';
import { builtImageFor } from '../core/history.ts';
import { ruleDocsUrl } from '../rules/index.ts';
import {
  EFFECTIVE_POLICY_REQUEST,
  FIX_ALL_KIND,
  REFRESH_REGISTRY_NOTIFICATION,
  STATUS_NOTIFICATION,
  type EffectivePolicyParams,
  type EffectivePolicyResult,
  type InitializationOptions,
} from './protocol.ts';
import { DEFAULT_DEBOUNCE_MS, SettingsCache } from './settings.ts';

declare const PLIMSOLL_VERSION: string | undefined;

export interface ServerOptions {
  facts?: FactsProvider;
  provenance?: ProvenanceProvider;
  /** For tests: the rules to run instead of the registry. */
  rules?: readonly Rule[];
  /** For tests: `YYYY-MM-DD`. */
  today?: () => string;
  /** Debounce used until a document's settings are known. */
  debounceMs?: number;
  maxChars?: number;
  progressDelayMs?: number;
  /** How long a hover waits for provenance before answering without it. */
  provenanceTimeoutMs?: number;
}

interface Capabilities {
  configuration: boolean;
  watchedFilesDynamic: boolean;
  configurationDynamic: boolean;
  workspaceFolders: boolean;
  lazyEdits: boolean;
  documentChanges: boolean;
  createFiles: boolean;
  progress: boolean;
  inlayRefresh: boolean;
  markdownHover: boolean;
}

function readCapabilities(c: ClientCapabilities): Capabilities {
  const ws = c.workspace;
  const resolveProps = c.textDocument?.codeAction?.resolveSupport?.properties ?? [];
  const hoverFormats = c.textDocument?.hover?.contentFormat;
  return {
    configuration: ws?.configuration === true,
    watchedFilesDynamic: ws?.didChangeWatchedFiles?.dynamicRegistration === true,
    configurationDynamic: ws?.didChangeConfiguration?.dynamicRegistration === true,
    workspaceFolders: ws?.workspaceFolders === true,
    lazyEdits: Array.isArray(resolveProps) && resolveProps.includes('edit'),
    documentChanges: ws?.workspaceEdit?.documentChanges === true,
    createFiles: (ws?.workspaceEdit?.resourceOperations ?? []).includes('create'),
    progress: c.window?.workDoneProgress === true,
    inlayRefresh: ws?.inlayHint?.refreshSupport === true,
    markdownHover: !Array.isArray(hoverFormats) || hoverFormats.includes(MarkupKind.Markdown),
  };
}

export interface ServerHandle {
  dispose(): void;
}

export function startServer(connection: Connection, options: ServerOptions = {}): ServerHandle {
  const documents = new TextDocuments(TextDocument);
  const factsProvider = options.facts ?? noFacts;
  let caps: Capabilities = readCapabilities({});
  let folders: string[] = [];
  let trusted = true;

  const log = (message: string): void => {
    try {
      connection.console.error(message);
    } catch {
      // The connection is gone; nothing left to tell.
    }
  };
  const describe = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

  /** Every handler goes through here: a throw is logged and answered with `fallback`. */
  function guard<P extends unknown[], R>(name: string, fallback: R, fn: (...args: P) => R | Promise<R>): (...args: P) => Promise<R> {
    return async (...args: P) => {
      try {
        return await fn(...args);
      } catch (e) {
        log(`plimsoll: ${name} failed: ${describe(e)}`);
        return fallback;
      }
    };
  }
  /** Starts a send or a task without awaiting it; sync throws and rejections are both logged. */
  const fireAndLog = (name: string, start: () => Promise<unknown>): void => {
    try {
      start().catch((e: unknown) => log(`plimsoll: ${name} failed: ${describe(e)}`));
    } catch (e) {
      log(`plimsoll: ${name} failed: ${describe(e)}`);
    }
  };

  const openPaths = new Map<string, string>();
  const settings = new SettingsCache((uri) =>
    caps.configuration ? connection.workspace.getConfiguration({ scopeUri: uri, section: 'plimsoll' }) : Promise.resolve(undefined),
  );
  const policies = new PolicyStore({
    openText: (path) => {
      const uri = openPaths.get(path);
      return uri ? documents.get(uri)?.getText() : undefined;
    },
    // The editor never fetches a policy URL: it reads what `plimsoll lint` cached, and nothing when untrusted.
    remote: () => (trusted ? { readRemote: (url, integrity) => readCachedPolicy(url, integrity) } : { allowRemote: false }),
  });
  const contexts = new BuildContextCache();
  const ruleErrorsLogged = new Set<string>();
  const checker = new Checker({
    policies,
    contexts,
    folders: () => folders,
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.today ? { today: options.today } : {}),
    maxChars: options.maxChars ?? MAX_EDITOR_CHARS,
    onRuleError: (uri, ruleId, error) => {
      const key = `${ruleId}\0${error instanceof Error ? error.message : String(error)}`;
      // Once per distinct failure: a broken rule would otherwise log on every keystroke.
      if (ruleErrorsLogged.has(key) || ruleErrorsLogged.size > 1000) return;
      ruleErrorsLogged.add(key);
      log(`plimsoll: rule ${ruleId} failed on ${uri}: ${describe(error)}`);
    },
  });

  const states = new Map<string, CheckState>();
  const runs = new Map<string, number>();
  const timers = new Map<string, Later>();
  const inflight = new Map<string, CancellationTokenSource>();
  const firstSeen = new Set<string>();
  const lastStatus = new Map<string, string>();
  let runCounter = 0;
  let publishedPolicyUris = new Set<string>();

  const dockerfileDocs = (): TextDocument[] => documents.all().filter((d) => isDockerfile(d.uri, d.languageId));
  const isCurrent = (uri: string, run: number, version: number): boolean => runs.get(uri) === run && documents.get(uri)?.version === version;
  const providerContext = (state: CheckState): ProviderContext => ({ uri: state.uri, offline: state.settings.offline, trusted });

  // ---- checking and publishing

  function schedule(uri: string, delayMs: number): void {
    timers.get(uri)?.cancel();
    // Superseded: a newer version or a newer reason to re-check wins; the old run notices and stops.
    runs.set(uri, ++runCounter);
    inflight.get(uri)?.cancel();
    inflight.delete(uri);
    timers.set(
      uri,
      later(delayMs, () => {
        timers.delete(uri);
        fireAndLog('check', () => run(uri));
      }),
    );
  }

  function debounceFor(uri: string): number {
    return settings.peek(uri)?.debounceMs ?? options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  }

  async function run(uri: string): Promise<void> {
    const doc = documents.get(uri);
    if (!doc || !isDockerfile(uri, doc.languageId)) return;
    const version = doc.version;
    const runId = ++runCounter;
    runs.set(uri, runId);
    const docSettings = await settings.get(uri);
    if (!isCurrent(uri, runId, version)) return;
    const previousFacts = states.get(uri)?.facts;
    // Facts from the previous run stay in use (they are keyed by image) until fresh ones arrive.
    const state = checker.check({ uri, version, text: doc.getText() }, docSettings, previousFacts);
    states.set(uri, state);
    publish(state);

    if (!state.result) return;
    const model = state.result.model;
    const policy = state.input.policy ?? defaultPolicy();
    const images = [...new Set(state.result.model.images.flatMap((u) => (u.ref && !u.stageRef && !u.scratch ? [normalisedName(u.ref)] : [])))].sort();
    if (images.length === 0 || factsProvider === noFacts) return;
    const cts = new CancellationTokenSource();
    inflight.get(uri)?.cancel();
    inflight.set(uri, cts);
    let facts: RegistryFacts | undefined;
    try {
      facts = await withProgress(
        connection,
        `Plimsoll: resolving ${images.length} image${images.length === 1 ? '' : 's'}`,
        { supported: caps.progress, ...(options.progressDelayMs !== undefined ? { delayMs: options.progressDelayMs } : {}), onCancel: () => cts.cancel() },
        () => factsProvider.getFacts(images, cts.token, { ...providerContext(state), want: (known) => factsWanted(model, policy, known, builtImageFor(policy, state.input.file ?? 'Dockerfile', state.input.absolutePath)) }),
      );
    } catch (e) {
      log(`plimsoll: registry facts for ${baseName(uri)} failed: ${describe(e)}`);
      return;
    } finally {
      if (inflight.get(uri) === cts) inflight.delete(uri);
    }
    if (!facts || cts.token.isCancellationRequested || !isCurrent(uri, runId, version)) return;
    const withFacts = checker.check({ uri, version, text: state.text }, docSettings, facts);
    if (!isCurrent(uri, runId, version)) return;
    states.set(uri, withFacts);
    publish(withFacts);
    if (caps.inlayRefresh) fireAndLog('inlay hint refresh', () => connection.languages.inlayHint.refresh());
  }

  function publish(state: CheckState): void {
    const diagnostics = state.result ? findingDiagnostics(state.result.findings, state.version, state.settings) : state.skipped?.startsWith('too large') ? [tooLargeDiagnostic(state.text.length, options.maxChars ?? MAX_EDITOR_CHARS)] : [];
    fireAndLog('publish diagnostics', () => connection.sendDiagnostics({ uri: state.uri, version: state.version, diagnostics }));
    const status = statusOf(state, trusted);
    const key = JSON.stringify(status);
    if (lastStatus.get(state.uri) !== key) {
      lastStatus.set(state.uri, key);
      fireAndLog('status', () => connection.sendNotification(STATUS_NOTIFICATION, status));
    }
    publishPolicyDiagnostics();
  }

  /** The state for a document's current version, checking it now if the scheduled run has not yet. */
  async function currentState(uri: string): Promise<CheckState | undefined> {
    const doc = documents.get(uri);
    if (!doc || !isDockerfile(uri, doc.languageId)) return undefined;
    const known = states.get(uri);
    if (known && known.version === doc.version) return known;
    const docSettings = await settings.get(uri);
    const now = documents.get(uri);
    if (!now) return undefined;
    const state = checker.check({ uri, version: now.version, text: now.getText() }, docSettings, known?.facts);
    states.set(uri, state);
    return state;
  }

  function recheckAll(): void {
    for (const d of dockerfileDocs()) schedule(d.uri, 0);
  }

  // ---- policy files

  function lineLengthsOf(file: string): (line: number) => number | undefined {
    let lines: string[] | undefined;
    return (line) => {
      if (!lines) {
        const uri = openPaths.get(file);
        let text = uri ? documents.get(uri)?.getText() : undefined;
        if (text === undefined) {
          try {
            text = readFileSync(file, 'utf8').slice(0, 1_000_000);
          } catch {
            text = '';
          }
        }
        lines = text.split(/\r?\n/);
      }
      return lines[line]?.length;
    };
  }

  function publishPolicyDiagnostics(): void {
    const next = new Set<string>();
    for (const [file, errors] of policies.errorsByFile()) {
      const uri = openPaths.get(file) ?? pathToUri(file);
      next.add(uri);
      const lengths = lineLengthsOf(file);
      const diagnostics = errors.map((e) => policyErrorDiagnostic(e, lengths));
      const key = JSON.stringify(diagnostics);
      if (policyDiagnosticsSent.get(uri) === key) continue;
      policyDiagnosticsSent.set(uri, key);
      fireAndLog('publish policy diagnostics', () => connection.sendDiagnostics({ uri, diagnostics }));
    }
    for (const uri of publishedPolicyUris) {
      if (next.has(uri)) continue;
      policyDiagnosticsSent.delete(uri);
      fireAndLog('publish policy diagnostics', () => connection.sendDiagnostics({ uri, diagnostics: [] }));
    }
    publishedPolicyUris = next;
  }
  const policyDiagnosticsSent = new Map<string, string>();

  /** A policy file's text changed (editor or disk): re-read what depends on it and re-check everything. */
  function policyChanged(path: string, kind: 'created' | 'changed' | 'deleted', editorOpen: boolean): void {
    const reloaded = policies.changed(path, kind, isPolicyFile(pathToUri(path)));
    // A policy file open in the editor is checked even when no Dockerfile uses it yet.
    if (editorOpen && reloaded.length === 0 && isPolicyFile(pathToUri(path))) policies.load(path);
    publishPolicyDiagnostics();
    recheckAll();
  }

  // ---- documents

  documents.onDidChangeContent(
    guard('didChange', undefined, (e) => {
      const { uri, languageId } = e.document;
      const path = uriToPath(uri);
      if (path) openPaths.set(path, uri);
      if (isDockerfile(uri, languageId)) {
        const first = !firstSeen.has(uri);
        firstSeen.add(uri);
        if (first) policies.forgetFolders();
        schedule(uri, first ? 0 : debounceFor(uri));
      } else if (path && (isPolicyFile(uri) || policies.all().some((p) => p.files.has(path)))) {
        const first = !firstSeen.has(uri);
        firstSeen.add(uri);
        timers.get(uri)?.cancel();
        timers.set(
          uri,
          later(first ? 0 : debounceFor(uri), () => {
            timers.delete(uri);
            try {
              policyChanged(path, 'changed', true);
            } catch (err) {
              log(`plimsoll: policy reload failed: ${describe(err)}`);
            }
          }),
        );
      }
    }),
  );

  documents.onDidClose(
    guard('didClose', undefined, (e) => {
      const { uri, languageId } = e.document;
      timers.get(uri)?.cancel();
      timers.delete(uri);
      inflight.get(uri)?.cancel();
      inflight.delete(uri);
      runs.delete(uri);
      states.delete(uri);
      checker.forget(uri);
      firstSeen.delete(uri);
      lastStatus.delete(uri);
      settings.forget(uri);
      const path = uriToPath(uri);
      if (path && openPaths.get(path) === uri) openPaths.delete(path);
      if (isDockerfile(uri, languageId)) fireAndLog('clear diagnostics', () => connection.sendDiagnostics({ uri, diagnostics: [] }));
      // Closing an edited policy file without saving: the disk version applies again.
      else if (path && policies.all().some((p) => p.files.has(path))) policyChanged(path, 'changed', false);
    }),
  );

  // ---- lifecycle

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    try {
      caps = readCapabilities(params.capabilities ?? {});
      const init = (params.initializationOptions ?? {}) as InitializationOptions;
      trusted = !(typeof init === 'object' && init !== null && init.untrustedWorkspace === true);
      const wsFolders = params.workspaceFolders ?? [];
      folders = wsFolders.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined);
      if (folders.length === 0 && params.rootUri) {
        const root = uriToPath(params.rootUri);
        if (root) folders = [root];
      }
    } catch (e) {
      log(`plimsoll: initialize: ${describe(e)}`);
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: true },
        hoverProvider: true,
        inlayHintProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'plimsoll', version: typeof PLIMSOLL_VERSION === 'string' ? PLIMSOLL_VERSION : '0.0.0-dev' },
    };
  });

  connection.onInitialized(
    guard('initialized', undefined, async () => {
      if (caps.configurationDynamic) await connection.client.register(DidChangeConfigurationNotification.type, { section: 'plimsoll' });
      if (caps.watchedFilesDynamic) {
        const all = WatchKind.Create | WatchKind.Change | WatchKind.Delete;
        await connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: '**/.plimsoll.{yaml,yml}', kind: all },
            // Files a policy `extends`.
            { globPattern: '**/*.{yaml,yml}', kind: all },
            { globPattern: '**/{.dockerignore,*.dockerignore}', kind: all },
            // Build-context file lists (sizes of edited files are not followed).
            { globPattern: '**/*', kind: WatchKind.Create | WatchKind.Delete },
          ],
        });
      }
      if (caps.workspaceFolders) {
        connection.workspace.onDidChangeWorkspaceFolders(
          guard('didChangeWorkspaceFolders', undefined, (e) => {
            const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
            folders = folders.filter((f) => !removed.has(f));
            for (const f of e.added) {
              const p = uriToPath(f.uri);
              if (p && !folders.includes(p)) folders.push(p);
            }
            recheckAll();
          }),
        );
      }
    }),
  );

  connection.onDidChangeConfiguration(
    guard('didChangeConfiguration', undefined, () => {
      settings.clear();
      recheckAll();
    }),
  );

  connection.onDidChangeWatchedFiles(
    guard('didChangeWatchedFiles', undefined, (params) => {
      const recheck = new Set<string>();
      let policyTouched = false;
      for (const change of params.changes ?? []) {
        const path = uriToPath(change.uri);
        if (!path) continue;
        const kind = change.type === FileChangeType.Created ? 'created' : change.type === FileChangeType.Deleted ? 'deleted' : 'changed';
        const policyName = isPolicyFile(change.uri);
        const openUri = openPaths.get(path);
        // An open editor's text wins over the disk for policy files.
        if (!(openUri && kind === 'changed')) {
          const reloaded = policies.changed(path, kind, policyName);
          if (reloaded.length > 0 || (policyName && kind !== 'changed')) policyTouched = true;
        }
        if (kind === 'changed' && openUri && !basename(path).endsWith('dockerignore')) continue;
        for (const dockerfile of contexts.changed(path)) {
          for (const d of dockerfileDocs()) if (uriToPath(d.uri) === dockerfile) recheck.add(d.uri);
        }
      }
      if (policyTouched) {
        publishPolicyDiagnostics();
        recheckAll();
      } else for (const uri of recheck) schedule(uri, debounceFor(uri)); // file bursts (npm install) coalesce
    }),
  );

  // ---- features

  const editSupport = (): EditSupport => ({
    documentChanges: caps.documentChanges,
    createFiles: caps.createFiles,
    versionOf: (uri) => documents.get(uri)?.version ?? null,
  });

  connection.onCodeAction(
    guard('codeAction', [] as CodeAction[], async (params) => {
      const state = await currentState(params.textDocument.uri);
      if (!state) return [];
      return codeActions({ state, diagnostics: params.context?.diagnostics ?? [], only: params.context?.only, lazy: caps.lazyEdits, support: editSupport() });
    }),
  );

  connection.onCodeActionResolve(async (action: CodeAction) => {
    try {
      if (!isActionData(action.data) || action.edit) return action;
      const state = await currentState(action.data.uri);
      if (!state) return action;
      const edit = resolveEdit(state, action.data, editSupport());
      if (edit) action.edit = edit;
    } catch (e) {
      log(`plimsoll: codeAction/resolve failed: ${describe(e)}`);
    }
    return action;
  });

  connection.onHover(
    guard('hover', null as Hover | null, async (params, token) => {
      const state = await currentState(params.textDocument.uri);
      if (!state?.result) return null;
      const target = hoverTarget(state, params.position);
      if (!target) {
        // Any other instruction: the layer the built image has for it, when a built image is mapped.
        const layer = instructionLayer(state.result.model, params.position, state.facts, builtImageOf(state));
        return layer ? { contents: { kind: caps.markdownHover ? MarkupKind.Markdown : MarkupKind.PlainText, value: layer } } : null;
      }
      let value: string;
      if (target.kind === 'pragma') value = pragmaHover(state, target.pragma);
      else {
        value = imageHover(state, target.use);
        const ref = target.use.ref;
        if (ref && !target.use.stageRef && !target.use.scratch) {
          const facts = factsFor(target.use, state.facts);
          const extra = options.provenance
            ? await provenanceFor(options.provenance, normalisedName(ref), state, facts, token)
            : facts
              ? renderProvenanceMarkdown(provenance(state.result.model, target.use, state.facts, state.policy), ruleDocsUrl)
              : undefined;
          if (extra) value += `\n\n---\n\n${extra}`;
        }
      }
      const range = target.kind === 'pragma' ? target.pragma.range : target.use.range;
      return { contents: { kind: caps.markdownHover ? MarkupKind.Markdown : MarkupKind.PlainText, value }, range };
    }),
  );

  /** The image this document is built into (`builds` in the policy), for layer hovers and hints. */
  function builtImageOf(state: CheckState): string | undefined {
    return builtImageFor(state.policy, state.input.file ?? 'Dockerfile', state.input.absolutePath);
  }

  async function provenanceFor(provider: ProvenanceProvider, image: string, state: CheckState, facts: ReturnType<typeof factsFor>, token: CancellationToken): Promise<string | undefined> {
    const cts = new CancellationTokenSource();
    const sub = token.onCancellationRequested(() => cts.cancel());
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          cts.cancel();
          resolve(undefined);
        }, options.provenanceTimeoutMs ?? 1500);
      });
      return await Promise.race([provider.getProvenance(image, cts.token, { ...providerContext(state), facts }), timeout]);
    } catch (e) {
      log(`plimsoll: provenance for ${image} failed: ${describe(e)}`);
      return undefined;
    } finally {
      clearTimeout(timer);
      sub.dispose();
      cts.dispose();
    }
  }

  connection.languages.inlayHint.on(
    guard('inlayHint', [], async (params) => {
      const state = await currentState(params.textDocument.uri);
      if (!state?.result) return [];
      return computeInlayHints(state.result.model, state.facts, params.range, builtImageOf(state));
    }),
  );

  connection.onRequest(
    EFFECTIVE_POLICY_REQUEST,
    guard('effectivePolicy', null as EffectivePolicyResult | null, async (params: EffectivePolicyParams) => {
      const uri = typeof params?.uri === 'string' ? params.uri : undefined;
      if (!uri) return null;
      const docSettings = await settings.get(uri);
      const path = checker.policyPathFor(uri, docSettings);
      if (!path) return { uri, policyFile: null, files: [], policy: defaultPolicy(), errors: [], usingLastGood: false };
      const entry = policies.get(path);
      publishPolicyDiagnostics();
      return { uri, policyFile: path, files: entry.policy.files, policy: entry.policy, errors: entry.errors, usingLastGood: entry.usingLastGood };
    }),
  );

  connection.onNotification(
    REFRESH_REGISTRY_NOTIFICATION,
    guard('refreshRegistryCache', undefined, async () => {
      await factsProvider.refresh?.();
      // Facts kept from earlier runs would otherwise be shown until fresh ones arrive.
      for (const s of states.values()) s.facts = undefined;
      recheckAll();
    }),
  );

  documents.listen(connection);
  return {
    dispose: () => {
      for (const t of timers.values()) t.cancel();
      for (const c of inflight.values()) c.cancel();
      timers.clear();
    },
  };
}

interface Later {
  cancel(): void;
}

/** Runs `fn` after `delayMs`; with no delay on the next turn (setTimeout(0) waits at least 1 ms). */
function later(delayMs: number, fn: () => void): Later {
  if (delayMs > 0) {
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  }
  const i = setImmediate(fn);
  return { cancel: () => clearImmediate(i) };
}
