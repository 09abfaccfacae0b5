// The server's public surface beyond standard LSP: custom methods, their payloads, the client-side command
// the server asks for, and the fix-all kind. Plain types and strings only (no vscode-languageserver import),
// so the client can `import type` from here and both sides cannot drift apart.
import type { Policy } from '../core/policy.ts';
import type { PolicyError } from '../policy/types.ts';

/** Request `plimsoll/effectivePolicy`: the merged policy in force for a document. */
export const EFFECTIVE_POLICY_REQUEST = 'plimsoll/effectivePolicy';

export interface EffectivePolicyParams {
  uri: string;
}

export interface EffectivePolicyResult {
  uri: string;
  /** The root policy file (absolute path), or null when the built-in default applies. */
  policyFile: string | null;
  /** Every policy file merged into `policy`, most general first. */
  files: string[];
  policy: Policy;
  /** Problems found in the policy files now (1-based lines and columns, as in the CLI). */
  errors: PolicyError[];
  /** True when the files on disk or in the editor are broken and an earlier good version is in force. */
  usingLastGood: boolean;
}

/** Notification `plimsoll/status`, server to client, sent per document whenever what it says changes. */
export const STATUS_NOTIFICATION = 'plimsoll/status';

export type PolicyState = 'ok' | 'errors' | 'last-good' | 'none';

export interface StatusParams {
  uri: string;
  /** The root policy file in force (absolute path), or null for the built-in default. */
  policyFile: string | null;
  /** `errors`: the policy has errors and no earlier good version; `last-good`: it has errors, an earlier version is used. */
  policyState: PolicyState;
  policyErrors: number;
  /** The `plimsoll.offline` setting for this document. */
  offline: boolean;
  /** False when the client started the server with `initializationOptions.untrustedWorkspace: true`. */
  trusted: boolean;
  /** Set when the document was not checked (too large for the editor). */
  skipped?: string;
}

/**
 * Notification `plimsoll/refreshRegistryCache`, client to server, no params: forget cached registry facts
 * (the facts provider's `refresh`) and re-check every open Dockerfile.
 */
export const REFRESH_REGISTRY_NOTIFICATION = 'plimsoll/refreshRegistryCache';

/** Client-side command the "Open docs for PLxxx" code action invokes; arguments: `[url: string]`. */
export const OPEN_RULE_DOCS_COMMAND = 'plimsoll.openRuleDocs';

/** The code action kind of "fix all safe problems" (`editor.codeActionsOnSave: { "source.fixAll.plimsoll": "explicit" }`). */
export const FIX_ALL_KIND = 'source.fixAll.plimsoll';

/** What the client may send as `initializationOptions`. */
export interface InitializationOptions {
  /** The workspace is not trusted: no network, no credential helpers, no policy `extends` URLs. */
  untrustedWorkspace?: boolean;
}

/** Settings under the `plimsoll` section, pulled per resource with `workspace/configuration`. */
export interface PlimsollSettings {
  /** A policy file to use instead of the nearest `.plimsoll.yaml`; relative paths are against the workspace folder. */
  policyPath: string | undefined;
  /** No registry lookups (facts providers receive `offline: true`). */
  offline: boolean;
  /** `--build-arg` values, e.g. `{ "BASE": "node:20" }`. */
  buildArgs: Record<string, string>;
  /** Editor-only severity per rule id; `off` hides the rule in the editor. CI still uses the policy. */
  severity: Record<string, 'error' | 'warning' | 'info' | 'off'>;
  trace: { server: 'off' | 'messages' | 'verbose' };
  /** Delay between the last keystroke and the re-check. */
  debounceMs: number;
}
