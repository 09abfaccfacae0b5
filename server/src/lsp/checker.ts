// One check of one document version: gather the policy, build context and settings that apply to it, call
// the engine, and keep the result for hovers, code actions and inlay hints. Synchronous and never throws.
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { lint, todayUtc, type LintInput, type LintResult } from '../core/lint.ts';
import type { Policy } from '../core/policy.ts';
import { defaultPolicy } from '../core/policy.ts';
import type { RegistryFacts } from '../core/facts.ts';
import type { Rule } from '../core/rule.ts';
import { IncrementalParser } from '../core/reparse.ts';
import { MAX_EDITOR_CHARS, uriToPath } from './documents.ts';
import type { PlimsollSettings, PolicyState, StatusParams } from './protocol.ts';
import type { PolicyEntry, PolicyStore } from './policyStore.ts';
import type { BuildContextCache } from './contextCache.ts';

export interface DocumentSnapshot {
  uri: string;
  version: number;
  text: string;
}

export interface CheckState {
  uri: string;
  version: number;
  text: string;
  settings: PlimsollSettings;
  /** Absolute path of the Dockerfile, when it is a file. */
  path: string | undefined;
  policy: Policy;
  policyEntry: PolicyEntry | undefined;
  input: LintInput;
  /** Undefined when the document was too large to check. */
  result: LintResult | undefined;
  facts: RegistryFacts | undefined;
  skipped?: string;
}

export interface CheckerOptions {
  policies: PolicyStore;
  contexts: BuildContextCache;
  /** Workspace folder paths, for `policyPath` relative paths and the waiver path when there is no policy. */
  folders: () => readonly string[];
  rules?: readonly Rule[];
  today?: () => string;
  maxChars?: number;
  onRuleError: (uri: string, ruleId: string, error: unknown) => void;
}

export class Checker {
  /** Per open document: after an edit, only the instructions around it are parsed again. */
  private readonly parsers = new Map<string, IncrementalParser>();

  /** One default policy for every document without a policy file: caches keyed by the policy keep working. */
  private readonly defaults = defaultPolicy();

  constructor(private readonly o: CheckerOptions) {}

  /** The document was closed: its parse is dropped. */
  forget(uri: string): void {
    this.parsers.delete(uri);
  }

  private parserFor(uri: string): IncrementalParser {
    let parser = this.parsers.get(uri);
    if (!parser) this.parsers.set(uri, (parser = new IncrementalParser()));
    return parser;
  }

  folderOf(path: string): string | undefined {
    let best: string | undefined;
    for (const f of this.o.folders()) {
      const prefix = f.endsWith(sep) ? f : f + sep;
      if ((path === f || path.startsWith(prefix)) && (!best || f.length > best.length)) best = f;
    }
    return best;
  }

  /** The root policy file for a document: the `policyPath` setting, else the nearest one (untitled: the first folder's). */
  policyPathFor(uri: string, settings: PlimsollSettings): string | undefined {
    const path = uriToPath(uri);
    const folder = (path && this.folderOf(path)) ?? this.o.folders()[0];
    if (settings.policyPath) {
      if (isAbsolute(settings.policyPath)) return settings.policyPath;
      const base = folder ?? (path ? dirname(path) : undefined);
      return base ? resolve(base, settings.policyPath) : undefined;
    }
    const dir = path ? dirname(path) : folder;
    return dir ? this.o.policies.find(dir) : undefined;
  }

  check(doc: DocumentSnapshot, settings: PlimsollSettings, facts: RegistryFacts | undefined): CheckState {
    const path = uriToPath(doc.uri);
    const policyPath = this.policyPathFor(doc.uri, settings);
    let policyEntry: PolicyEntry | undefined;
    try {
      policyEntry = policyPath ? this.o.policies.get(policyPath) : undefined;
    } catch {
      policyEntry = undefined;
    }
    const policy = policyEntry?.policy ?? this.defaults;
    const root = policyPath ? dirname(policyPath) : (path && this.folderOf(path)) ?? (path ? dirname(path) : undefined);
    const input: LintInput = {
      text: doc.text,
      policy,
      buildArgs: settings.buildArgs,
      today: (this.o.today ?? todayUtc)(),
      onRuleError: (ruleId, error) => this.o.onRuleError(doc.uri, ruleId, error),
      parser: this.parserFor(doc.uri),
    };
    if (this.o.rules) input.rules = this.o.rules;
    if (facts) input.facts = facts;
    if (path) {
      input.file = root ? relative(root, path).split(sep).join('/') : path;
      input.absolutePath = path.split(sep).join('/');
      const context = this.o.contexts.get(path);
      if (context) input.buildContext = context;
    }
    const state: CheckState = { uri: doc.uri, version: doc.version, text: doc.text, settings, path, policy, policyEntry, input, result: undefined, facts };
    const max = this.o.maxChars ?? MAX_EDITOR_CHARS;
    if (doc.text.length > max) {
      state.skipped = `too large (${doc.text.length} characters, limit ${max})`;
      return state;
    }
    try {
      state.result = lint(input);
    } catch (e) {
      // lint() isolates rules; this is the model itself failing on some input. Report, do not die.
      this.o.onRuleError(doc.uri, '(engine)', e);
      state.skipped = 'internal error';
    }
    return state;
  }
}

export function statusOf(state: CheckState, trusted: boolean): StatusParams {
  const e = state.policyEntry;
  const errors = e ? e.errors.filter((x) => x.severity === 'error').length : 0;
  const policyState: PolicyState = !e ? 'none' : e.usingLastGood ? 'last-good' : errors > 0 ? 'errors' : 'ok';
  const status: StatusParams = {
    uri: state.uri,
    policyFile: e?.path ?? null,
    policyState,
    policyErrors: errors,
    offline: state.settings.offline,
    trusted,
  };
  if (state.skipped) status.skipped = state.skipped;
  return status;
}
