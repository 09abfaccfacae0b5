// Data types of the policy layer: what parsing one `.plimsoll.yaml` yields, before merging.
import type {
  BuildMapping,
  DeniedImage,
  ImageMatcher,
  PinningPolicy,
  PolicySource,
  Replacement,
  RuleSetting,
  SecretPolicy,
  SizeBudgets,
  Waiver,
} from '../core/policy.ts';

/** Why a policy error was raised; stable, so tests and quick-fixes need not read prose. */
export type PolicyErrorCode =
  | 'yaml-syntax'
  | 'unknown-key'
  | 'duplicate-key'
  | 'type'
  | 'enum'
  | 'required'
  | 'image'
  | 'tag'
  | 'registry'
  | 'regex'
  | 'semver'
  | 'size'
  | 'date'
  | 'path'
  | 'rule-id'
  | 'unknown-rule'
  | 'duplicate-id'
  | 'unsupported'
  | 'extends-missing'
  | 'extends-cycle'
  | 'extends-depth'
  | 'extends-fetch'
  | 'extends-integrity'
  | 'url'
  | 'integrity'
  | 'locked'
  | 'read'
  | 'too-large'
  | 'binary'
  | 'encoding'
  | 'too-deep'
  | 'too-complex'
  | 'too-many-errors'
  | 'internal';

/**
 * A mistake in a policy file. Lines and columns are 1-based (as editors show them, columns in
 * UTF-16 code units); the end is exclusive: the position just after the last character.
 */
export interface PolicyError {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  message: string;
  severity: 'error' | 'warning';
  code?: PolicyErrorCode;
  /** Likely intended text for the range (a misspelt key or value), for a quick-fix. */
  suggestion?: string;
}

/** A 1-based span in a policy file; the end is exclusive. */
export interface SourceSpan {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One `extends` entry as written, kept with its position so the loader can report on it. */
export interface PolicyReference {
  /** As written: relative to the folder of the file that holds it, or absolute; for a remote entry, its URL. */
  path: string;
  span: SourceSpan;
  /** Set for `{ url, integrity }` entries: the policy is fetched (see policy/remote.ts). */
  url?: string;
  /** Subresource-integrity pin of a remote entry: `sha256-<base64>` (or sha384, sha512). */
  integrity?: string;
}

/**
 * What one policy file sets. An absent field is inherited from the policies it extends (or the
 * default). A complete `Policy` is also a valid overlay.
 */
export interface PolicyOverlay {
  allowedImages?: ImageMatcher[];
  deniedImages?: DeniedImage[];
  replacements?: Replacement[];
  builds?: BuildMapping[];
  trustedRegistries?: string[];
  pinning?: Partial<PinningPolicy>;
  sizes?: SizeBudgets;
  secrets?: Partial<SecretPolicy>;
  rules?: Record<string, RuleSetting>;
  waivers?: Waiver[];
  allowInlineSuppression?: boolean;
  files?: string[];
  sources?: Record<string, PolicySource>;
  /** Lockable names this file locks (`locked:`), each with the position of its entry. */
  locked?: Record<string, PolicySource>;
  /**
   * Positions of the items of plain lists, by path (`registries.trusted`, `secrets.allowedNames`), in
   * the same order as the parsed values; only in one file's overlay, never merged.
   */
  itemSources?: Record<string, PolicySource[]>;
}

/** One parsed `.plimsoll.yaml`, not yet merged with what it extends. */
export interface PolicyDocument {
  file: string;
  extends: PolicyReference[];
  policy: PolicyOverlay;
}
