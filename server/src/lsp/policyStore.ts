// Policy files for the editor: which one applies to a folder, loaded once per path, re-read when a watched
// file or an open editor changes it. An open policy file is read from its in-memory text. When a policy
// turns broken, the last good version stays in force for Dockerfiles while its errors are shown on the file.
import type { Policy } from '../core/policy.ts';
import { defaultPolicy } from '../core/policy.ts';
import { findPolicyFile, loadPolicy, readFileCapped, type ReadFile } from '../policy/load.ts';
import type { PolicyError } from '../policy/types.ts';
import { rulesById } from '../rules/index.ts';

export interface PolicyEntry {
  /** The root policy file (absolute). */
  path: string;
  /** What Dockerfiles are judged by: the current policy when it is good, else the last good one. */
  policy: Policy;
  /** Problems in the current text of the files. */
  errors: PolicyError[];
  /** Every file read (or tried) while loading, the root and its `extends`, for invalidation. */
  files: Set<string>;
  /** True when the current text has errors and an earlier good version is in force. */
  usingLastGood: boolean;
  /** True when the current text has errors and there never was a good version (what could be read is used). */
  broken: boolean;
}

export interface PolicyStoreOptions {
  /** The text of an open editor for this path, if one is open. */
  openText?: (path: string) => string | undefined;
  /** For tests: the disk reader. */
  readFile?: ReadFile;
  isFile?: (path: string) => boolean;
}

const knownRuleIds: ReadonlySet<string> = new Set(rulesById.keys());

export class PolicyStore {
  private readonly entries = new Map<string, PolicyEntry>();
  private readonly found = new Map<string, string | undefined>();

  constructor(private readonly options: PolicyStoreOptions = {}) {}

  /** The nearest policy file for a Dockerfile folder, remembered until a policy file appears or goes. */
  find(dir: string): string | undefined {
    if (this.found.has(dir)) return this.found.get(dir);
    const path = this.options.isFile ? findPolicyFile(dir, undefined, this.options.isFile) : findPolicyFile(dir);
    this.found.set(dir, path);
    return path;
  }

  get(path: string): PolicyEntry {
    return this.entries.get(path) ?? this.load(path);
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  all(): PolicyEntry[] {
    return [...this.entries.values()];
  }

  /** Re-reads the entry for `path` (a root policy file), keeping its last good policy if the new text is broken. */
  load(path: string): PolicyEntry {
    const previous = this.entries.get(path);
    const files = new Set<string>();
    const disk = this.options.readFile ?? readFileCapped;
    const readFile: ReadFile = (p, limit) => {
      files.add(p);
      return this.options.openText?.(p) ?? disk(p, limit);
    };
    let loaded: { policy: Policy; errors: PolicyError[] };
    try {
      loaded = loadPolicy(path, { readFile, knownRuleIds });
    } catch (e) {
      // loadPolicy promises not to throw; if it ever does, the file is reported rather than the server dying.
      loaded = { policy: defaultPolicy(), errors: [{ file: path, line: 1, column: 1, message: `Internal error reading the policy: ${String(e)}`, severity: 'error', code: 'internal' }] };
    }
    files.add(path);
    const broken = loaded.errors.some((e) => e.severity === 'error');
    const lastGood = previous && !previous.broken ? previous.policy : undefined;
    const entry: PolicyEntry = {
      path,
      policy: broken && lastGood ? lastGood : loaded.policy,
      errors: loaded.errors,
      files,
      usingLastGood: broken && lastGood !== undefined,
      broken: broken && lastGood === undefined,
    };
    this.entries.set(path, entry);
    return entry;
  }

  /**
   * A file changed (on disk or in an editor). Returns the root policy paths that were re-read. A policy
   * file appearing or disappearing also resets which file applies to which folder.
   */
  changed(path: string, kind: 'created' | 'changed' | 'deleted', isPolicyName: boolean): string[] {
    if (isPolicyName && kind !== 'changed') this.found.clear();
    const reloaded: string[] = [];
    for (const entry of [...this.entries.values()]) {
      if (!entry.files.has(path)) continue;
      if (kind === 'deleted' && entry.path === path) {
        // Gone: folders fall back to the next policy up (or the default) when they are next checked.
        this.entries.delete(path);
        reloaded.push(path);
        continue;
      }
      this.load(entry.path);
      reloaded.push(entry.path);
    }
    return reloaded;
  }

  /** Forget everything (e.g. the `policyPath` setting changed). */
  clear(): void {
    this.entries.clear();
    this.found.clear();
  }

  /** Errors by file, across all loaded policies, each once. */
  errorsByFile(): Map<string, PolicyError[]> {
    const out = new Map<string, PolicyError[]>();
    const seen = new Set<string>();
    for (const entry of this.entries.values()) {
      for (const e of entry.errors) {
        const key = `${e.file}\0${e.line}\0${e.column}\0${e.code ?? ''}\0${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.set(e.file, [...(out.get(e.file) ?? []), e]);
      }
    }
    return out;
  }
}
