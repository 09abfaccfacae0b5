// What a rule is. One file per rule in server/src/rules; docs and the README table are generated from these fields.
import type { Category, Finding, Fix, Range, Severity } from './types.ts';
import type { Pragma } from './suppress.ts';
import type { DockerfileModel, Stage } from './model.ts';
import type { Policy } from './policy.ts';
import type { RegistryFacts } from './facts.ts';
import type { BuildContextFacts } from './context.ts';

export interface RuleDocs {
  /** One line: what it flags. */
  summary: string;
  why: string;
  /** A Dockerfile snippet that is flagged. */
  bad: string;
  /** The same snippet, fixed. */
  good: string;
  /** What the fix does, and why it is safe or not. */
  fix?: string;
  /** Which policy keys tune the rule. */
  options?: string;
}

export type RuleStatus = 'stable' | 'preview' | 'deprecated';
export type FixSafety = 'none' | 'safe' | 'unsafe' | 'safe and unsafe';

export interface Rule {
  /** Permanent: never reused, a retired rule stays as `deprecated`. */
  id: string;
  name: string;
  category: Category;
  severity: Severity;
  status: RuleStatus;
  fixSafety: FixSafety;
  /** hadolint codes whose `# hadolint ignore=` pragmas also silence this rule. */
  hadolint?: string[];
  /** Facts the rule needs; without them it stays silent rather than guessing. */
  needs?: Array<'registry' | 'context'>;
  docs: RuleDocs;
  /** `after` rules run once the others have reported, and may read their findings (waiver and pragma checks). */
  phase?: 'after';
  check(ctx: RuleContext): void;
}

export interface Report {
  range: Range;
  message: string;
  /** What makes this finding itself, independent of line numbers (an image, a variable name, a path). */
  key: string;
  fixes?: Fix[];
  stage?: Stage;
  /** Normalised image reference, for waivers scoped to an image. */
  image?: string;
  severity?: Severity;
}

export interface RuleContext {
  readonly model: DockerfileModel;
  readonly policy: Policy;
  readonly facts: RegistryFacts | undefined;
  readonly buildContext: BuildContextFacts | undefined;
  /** The image this Dockerfile is built into, as written in `--image` or `policy.builds`; undefined when unknown. */
  readonly builtImage: string | undefined;
  /** The Dockerfile path as the policy sees it (relative to the policy root); `Dockerfile` when unknown. */
  readonly file: string;
  readonly absolutePath: string | undefined;
  /** `YYYY-MM-DD`, injected so that results do not depend on the clock. */
  readonly today: string;
  /** Pragmas found in the file (hadolint codes already mapped). */
  readonly pragmas: readonly Pragma[];
  /** For `after` rules: what the other rules reported, before any suppression. Empty for the others. */
  readonly findings: readonly Finding[];
  report(r: Report): void;
}
