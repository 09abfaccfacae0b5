// The engine: text + policy + facts in, findings out. Every face calls this and only this.
import type { Finding, Severity } from './types.ts';
import { comparePositions, compareRuleIds } from './types.ts';
import type { Policy } from './policy.ts';
import { defaultPolicy } from './policy.ts';
import type { RegistryFacts } from './facts.ts';
import type { BuildContextFacts } from './context.ts';
import type { Report, Rule, RuleContext } from './rule.ts';
import { buildModel, type DockerfileModel } from './model.ts';
import type { IncrementalParser } from './reparse.ts';
import { findPragmas, waiverExpired, waiverMatches } from './suppress.ts';
import { stableHash } from './hash.ts';
import { revealsSecret } from './secrets.ts';
import { builtImageFor } from './history.ts';
import { allRules, hadolintMap } from '../rules/index.ts';

export interface LintInput {
  text: string;
  /** Path relative to the policy root, for waivers; also shown in messages. */
  file?: string;
  /** Absolute path, for waivers inherited from a policy in another folder. */
  absolutePath?: string;
  policy?: Policy;
  facts?: RegistryFacts;
  buildContext?: BuildContextFacts;
  buildArgs?: Record<string, string>;
  /** The image this Dockerfile is built into (`--image`, `policy.builds`), for built-layer rules. */
  builtImage?: string;
  /** `YYYY-MM-DD`; defaults to today (UTC). */
  today?: string;
  rules?: readonly Rule[];
  /** The model prepareModel built for exactly this text, policy and build args (saves parsing twice). */
  model?: DockerfileModel;
  /** The editor's parser for this document: only what changed since the last version is parsed again. */
  parser?: IncrementalParser;
  /** A rule that throws is reported here and the other rules still run. */
  onRuleError?: (ruleId: string, error: unknown) => void;
}

export interface LintResult {
  findings: Finding[];
  /** Findings hidden by a waiver or a pragma, kept for reports and `policy explain`. */
  suppressed: Finding[];
  model: DockerfileModel;
}

/**
 * `YYYY-MM-DD` (UTC) from the day count since 1970 (civil-from-days, proleptic Gregorian): the same as
 * `new Date().toISOString().slice(0, 10)`, without the first Date object's set-up (most of a millisecond of
 * every CLI run).
 */
export function todayUtc(now = Date.now()): string {
  const z = Math.floor(now / 86_400_000) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The model as the rules see it. A reference that would show a secret is not parsed (`hidesSecret`): no rule
 * judges or prints it, and no face asks a registry about it (factsWanted only sees parsed references).
 */
export function prepareModel(text: string, policy: Policy, buildArgs?: Record<string, string>, parser?: IncrementalParser): DockerfileModel {
  const model = buildModel(text, { ...(buildArgs ? { buildArgs } : {}), ...(parser ? { parser } : {}) });
  for (const use of model.images) {
    if (use.ref && revealsSecret(use, policy)) {
      use.hidesSecret = true;
      delete use.ref;
    }
  }
  return model;
}

export function lint(input: LintInput): LintResult {
  const policy = input.policy ?? defaultPolicy();
  const model = input.model ?? prepareModel(input.text, policy, input.buildArgs, input.parser);
  const file = input.file ?? 'Dockerfile';
  const today = input.today ?? todayUtc();
  const rules = input.rules ?? allRules;
  const pragmas = findPragmas(model, hadolintMap);
  const builtImage = input.builtImage ?? builtImageFor(policy, file, input.absolutePath);
  const raw: Finding[] = [];
  const seen = new Map<string, number>();

  const run = (rule: Rule, visible: readonly Finding[]) => {
    const setting = policy.rules[rule.id]?.severity;
    if (setting === 'off' || rule.status === 'deprecated') return;
    const severity: Severity = setting ?? rule.severity;
    const ctx: RuleContext = {
      model,
      policy,
      facts: input.facts,
      buildContext: input.buildContext,
      builtImage,
      file,
      absolutePath: input.absolutePath,
      today,
      pragmas,
      findings: visible,
      report: (r: Report) => raw.push(toFinding(rule, severity, r, seen)),
    };
    try {
      rule.check(ctx);
    } catch (error) {
      input.onRuleError?.(rule.id, error);
    }
  };
  for (const rule of rules) if (rule.phase !== 'after') run(rule, []);
  const before = [...raw];
  for (const rule of rules) if (rule.phase === 'after') run(rule, before);

  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const f of raw) {
    const hidden = suppressionOf(f, policy, pragmas, file, input.absolutePath, today);
    if (hidden) suppressed.push({ ...f, suppressed: hidden });
    else findings.push(f);
  }
  const order = (a: Finding, b: Finding) => comparePositions(a.range.start, b.range.start) || compareRuleIds(a.ruleId, b.ruleId);
  return { findings: findings.sort(order), suppressed: suppressed.sort(order), model };
}

function toFinding(rule: Rule, severity: Severity, r: Report, seen: Map<string, number>): Finding {
  const stage = r.stage ? (r.stage.name ?? `#${r.stage.index}`) : undefined;
  const base = `${rule.id}\0${stage ?? ''}\0${r.key}`;
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  const finding: Finding = {
    ruleId: rule.id,
    ruleName: rule.name,
    category: rule.category,
    severity: r.severity ?? severity,
    range: r.range,
    message: r.message,
    fingerprint: stableHash(`${base}\0${n}`),
    fixes: r.fixes ?? [],
  };
  if (stage !== undefined) finding.stage = stage;
  if (r.image !== undefined) finding.image = r.image;
  return finding;
}

function suppressionOf(
  f: Finding,
  policy: Policy,
  pragmas: ReturnType<typeof findPragmas>,
  file: string,
  absolutePath: string | undefined,
  today: string,
): Finding['suppressed'] {
  // Findings about suppression itself cannot be suppressed the same way.
  if (f.category === 'policy' && (f.ruleId === 'PL901' || f.ruleId === 'PL902')) return undefined;
  if (policy.allowInlineSuppression) {
    const line = f.range.start.line;
    const p = pragmas.find((x) => x.ruleIds.has(f.ruleId) && line >= x.fromLine && line <= x.toLine);
    if (p) return { by: 'inline', reason: p.reason || `${p.source} ignore pragma` };
  }
  if (policy.waivers.length === 0) return undefined;
  const subject = { ruleId: f.ruleId, file, ...(absolutePath !== undefined ? { absolutePath } : {}), ...(f.stage !== undefined ? { stage: f.stage } : {}), ...(f.image !== undefined ? { image: f.image } : {}) };
  const w = policy.waivers.find((x) => !waiverExpired(x, today) && waiverMatches(x, subject));
  if (w) return { by: 'waiver', reason: w.reason };
  return undefined;
}
