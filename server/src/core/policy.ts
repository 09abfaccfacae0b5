// The effective policy the engine judges by: already loaded, validated and merged (see server/src/policy).
// Everything here is plain data so that the engine stays pure and tests can build one inline.
import type { Severity } from './types.ts';

/** Where a policy entry came from, so findings and `policy explain` can point at it. */
export interface PolicySource {
  file: string;
  line: number; // 1-based, as editors show it
  column: number; // 1-based
}

export interface ImageMatcher {
  /** Glob over the normalised `registry/repository` (`docker.io/library/node`, `ghcr.io/acme/*`). */
  image: string;
  /** Globs over the tag (`20.*`, `*-alpine`). Absent: any tag. */
  tags?: string[];
  /** A semver range over the version part of the tag (`20.11.1` of `20.11.1-alpine`). */
  semver?: string;
  /** Allowed variant suffixes (`alpine`, `slim`, `bookworm`); `""` allows no variant. Absent: any. */
  variants?: string[];
  source?: PolicySource;
}

export interface DeniedImage extends ImageMatcher {
  reason: string;
  /** A suggested replacement reference, e.g. `cgr.dev/chainguard/node:latest`. */
  replacement?: string;
}

export type PinLevel = 'none' | 'tag' | 'digest';
export type TagPrecision = 'any' | 'major' | 'minor' | 'patch';

export interface PinningPolicy {
  level: PinLevel;
  /** `final`: only the last stage (the shipped image) is held to `level`; other stages need a tag. */
  scope: 'all' | 'final';
  /** How exact a version tag must be for it not to be floating (`node:20` is `major`). */
  precision: TagPrecision;
  /** Per-stage overrides by stage name. */
  stages: Record<string, PinLevel>;
  /**
   * Pin to the platform manifest's digest (not the index digest) when `--platform` names one constant
   * platform. Default false: the index digest, which stays right for every platform.
   */
  platformDigests?: boolean;
  /** How far the newest-allowed-tag suggestion may move: within the minor (`patch`) or the major (`minor`). Default `patch`. */
  bump?: 'patch' | 'minor';
}

/** Maps an unapproved image to the approved one that replaces it (`node` -> `registry.acme.internal/golden/node`). */
export interface Replacement {
  /** Glob over the normalised `registry/repository` of the unapproved image. */
  from: string;
  /** The approved repository (optionally with a tag) to move to. */
  to: string;
  source?: PolicySource;
}

/** Which image a Dockerfile is built into, so layers of the built image can be mapped back to instructions. */
export interface BuildMapping {
  /** Glob over the Dockerfile path relative to the policy's folder. */
  dockerfile: string;
  /** The built image reference (`registry.acme.internal/team/app:main`). */
  image: string;
  source?: PolicySource;
}

export interface SizeBudgets {
  /** Compressed size of the base image, bytes. */
  baseImage?: number;
  /** Largest single layer, bytes. */
  layer?: number;
  /** What one COPY/ADD takes from the build context, bytes. */
  copyContext?: number;
}

export interface SecretPattern {
  id: string;
  description: string;
  regex: string;
  source?: PolicySource;
}

export interface SecretPolicy {
  /** Extra literal-token patterns, on top of the built-in ones. */
  patterns: SecretPattern[];
  /** Names (globs, case-insensitive) that look secret but are not, e.g. `PUBLIC_KEY_URL`. */
  allowedNames: string[];
  /** Extra build-context file globs treated as sensitive, on top of the built-in ones. */
  sensitiveFiles: string[];
}

export interface Waiver {
  rules: string[];
  /** Glob over the Dockerfile path relative to the policy root. Absent: every file. */
  file?: string;
  stage?: string;
  /** Glob over the normalised image reference (`docker.io/library/node*`). */
  image?: string;
  reason: string;
  owner?: string;
  /** `YYYY-MM-DD`; on and after the day after, the waiver is expired. */
  expires?: string;
  source?: PolicySource;
  /**
   * Absolute folder that `file` is relative to: the folder of the policy file that declared the
   * waiver (set by the loader, so an inherited waiver keeps meaning its own repository's paths).
   * Absent: `file` is matched against the path as given to the engine.
   */
  baseDir?: string;
}

export interface RuleSetting {
  severity?: Severity | 'off';
}

export interface Policy {
  /** Absent: no allowlist, every base image is approved unless denied. */
  allowedImages?: ImageMatcher[];
  deniedImages: DeniedImage[];
  /** Unapproved image -> approved replacement, for the replacement quick-fix. */
  replacements?: Replacement[];
  /** Dockerfile -> built image, for layer provenance and layer budgets. */
  builds?: BuildMapping[];
  /** Globs over registry hosts (`docker.io`, `*.acme.internal`). Absent: every registry is trusted. */
  trustedRegistries?: string[];
  pinning: PinningPolicy;
  sizes: SizeBudgets;
  secrets: SecretPolicy;
  rules: Record<string, RuleSetting>;
  waivers: Waiver[];
  /** When false, `# plimsoll ignore=` and `# hadolint ignore=` pragmas hide nothing and are reported. */
  allowInlineSuppression: boolean;
  /** The policy files merged into this one, most general first (for explain and hovers). */
  files: string[];
  /**
   * Where each single setting in force was set, keyed by its YAML path: `pinning.level`,
   * `pinning.stages.builder`, `sizes.layer`, `registries.trusted`, `rules.PL101`,
   * `suppression.inline`. A missing key means the built-in default. List entries carry their own
   * `source` instead.
   */
  sources?: Record<string, PolicySource>;
  /**
   * Settings an org policy marked `locked`, by lockable name (`pinning.level`, `images.allow`,
   * `rules.PL101`), with the `locked` entry that locked it. A file merged later may tighten a
   * locked setting but not loosen it (see server/src/policy/locks.ts).
   */
  locked?: Record<string, PolicySource>;
}

/** The policy in force when no `.plimsoll.yaml` is found: flag untagged/latest images and secrets. */
export function defaultPolicy(): Policy {
  return {
    deniedImages: [],
    pinning: { level: 'tag', scope: 'all', precision: 'any', stages: {} },
    sizes: {},
    secrets: { patterns: [], allowedNames: [], sensitiveFiles: [] },
    rules: {},
    waivers: [],
    allowInlineSuppression: true,
    files: [],
  };
}
