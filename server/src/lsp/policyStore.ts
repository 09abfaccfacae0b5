// Policy files for the editor: which one applies to a folder, loaded once per path, re-read when a watched
// file or an open editor changes it. An open policy file is read from its in-memory text. When a policy
// turns broken, the last good version stays in force for Dockerfiles while its errors are shown on the file.
import { statSync } from 'node:fs';
import type { Policy } from '../core/policy.ts';
import { defaultPolicy } from '../core/policy.ts';
import { findPolicyFile, loadPolicy, readFileCapped, type LoadOptions, type ReadFile } from '../policy/load.ts';
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
  /** Size and mtime of each file read from disk, so a change is noticed even by clients that do not watch files. */
  stamps: Map<string, string>;
}

export interface PolicyStoreOptions {
  /** The text of an open editor for this path, if one is open. */
  openText?: (path: string) => string | undefined;
  /** For tests: the disk reader. */
  readFile?: ReadFile;
  isFile?: (path: string) => boolean;
  /** For tests: a file's change stamp; default size and mtime, `missing` when it cannot be read. */
  stamp?: (path: string) => string;
  /**
   * How `extends` URLs are served: from the policy cache the CLI fills (never fetched by the editor), or
   * refused outright in an untrusted workspace.
   */
  remote?: () => Pick<LoadOptions, 'allowRemote' | 'readRemote'>;
}

function diskStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
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

  /** The entry for a root policy file, re-read when a file it was read from changed on disk since. */
  get(path: string): PolicyEntry {
    const entry = this.entries.get(path);
    if (!entry) return this.load(path);
    const stamp = this.options.stamp ?? diskStamp;
    for (const [file, was] of entry.stamps) if (stamp(file) !== was) return this.load(path);
    return entry;
  }

  all(): PolicyEntry[] {
    return [...this.entries.values()];
  }

  /** Re-reads the entry for `path` (a root policy file), keeping its last good policy if the new text is broken. */
  load(path: string): PolicyEntry {
    const previous = this.entries.get(path);
    const files = new Set<string>();
    const stamps = new Map<string, string>();
    const disk = this.options.readFile ?? readFileCapped;
    const stamp = this.options.stamp ?? diskStamp;
    const readFile: ReadFile = (p, limit) => {
      files.add(p);
      const open = this.options.openText?.(p);
      if (open !== undefined) return open;
      // Stamped before reading: a write during the read makes the next check reload, never miss it.
      stamps.set(p, stamp(p));
      return disk(p, limit);
    };
    let loaded: { policy: Policy; errors: PolicyError[] };
    try {
      loaded = loadPolicy(path, { readFile, knownRuleIds, ...(this.options.remote?.() ?? {}) });
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
      stamps,
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

  /** Forget which policy file applies to which folder (a client without file watching may have missed a new one). */
  forgetFolders(): void {
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
