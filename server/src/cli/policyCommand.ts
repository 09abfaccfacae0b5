// `plimsoll policy explain <Dockerfile>` and `plimsoll policy check <policy>`: the effective policy with
// where every setting came from, what decided each image, and what is wrong with a policy file.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { CheckArgs, ExplainArgs } from './args.ts';
import { rel, repoRoot } from './lintCommand.ts';
import { policyFetcher } from './runtime.ts';
import { lint, todayUtc, type LintResult } from '../core/lint.ts';
import { defaultPolicy, type ImageMatcher, type PinLevel, type Policy, type PolicySource } from '../core/policy.ts';
import { judgeImage, pinLevelFor } from '../core/images.ts';
import { globMatch } from '../core/glob.ts';
import { normalisedName } from '../core/imageRef.ts';
import { estatePin, maskedWritten, revealsSecret, type EstatePin } from '../core/estate.ts';
import { builtImageFor } from '../core/history.ts';
import type { ImageUse } from '../core/model.ts';
import { compareRuleIds } from '../core/types.ts';
import { findPolicyFile, loadPolicyAsync, readFileCapped, decodePolicyBytes, policyParser, MAX_POLICY_BYTES, type FetchRemote, type LoadResult } from '../policy/load.ts';
import { checkPolicyDocument, type CheckSeverity } from '../policy/check.ts';
import { rulesById } from '../rules/index.ts';
import { readBuildContext } from '../workspace/buildContext.ts';

const knownRuleIds: ReadonlySet<string> = new Set(rulesById.keys());
const MAX_DOCKERFILE_BYTES = 5_000_000;

/** A place in a policy file, with the file as the user should see it (relative path or URL). */
export interface ShownSource {
  file: string;
  line: number;
  column: number;
}

export interface ExplainSetting {
  key: string;
  value: unknown;
  /** Null: the built-in default. */
  source: ShownSource | null;
  locked: ShownSource | null;
}

export interface ExplainEntry {
  list: 'images.allow' | 'images.deny';
  image: string;
  tags?: string[];
  semver?: string;
  variants?: string[];
  reason?: string;
  replacement?: string;
  source: ShownSource | null;
}

export interface ExplainImage {
  kind: ImageUse['kind'];
  /** 1-based, as editors show it. */
  line: number;
  column: number;
  stage: string;
  written: string;
  resolved: string;
  status: 'image' | 'stage' | 'scratch' | 'unresolved' | 'masked';
  reference?: string;
  verdict?: 'approved' | 'denied' | 'unapproved';
  /** The allow or deny entry that decided; absent when approved because there is no allowlist. */
  decidedBy?: ExplainEntry;
  noAllowlist?: boolean;
  /** Why allow entries whose image glob matched still did not match. */
  near?: string[];
  registry?: { host: string; trusted: boolean; by?: string; source: ShownSource | null };
  /** Pin states as `plimsoll report` names them. */
  pin?: { state: EstatePin; required: PinLevel; source: ShownSource | null };
  /** Rule ids of the findings on this reference (visible ones). */
  findings: string[];
}

export interface ExplainReport {
  dockerfile: string;
  policy: {
    /** The policy file in force, or null for the built-in defaults. */
    file: string | null;
    /** Every file merged, most general first. */
    files: string[];
    remote: Array<{ url: string; integrity: string; fromCache: boolean; fetchedAt: string; ageDays: number }>;
    errors: Array<{ file: string; line: number; column: number; severity: string; code: string; message: string }>;
  };
  settings: ExplainSetting[];
  entries: ExplainEntry[];
  waivers: Array<{ rules: string[]; reason: string; owner?: string; expires?: string; file?: string; image?: string; stage?: string; source: ShownSource | null }>;
  images: ExplainImage[];
  findings: Array<{ ruleId: string; severity: string; line: number; column: number; suppressed?: 'waiver' | 'inline' }>;
}

function shown(cwd: string, s: PolicySource | undefined): ShownSource | null {
  return s ? { file: rel(cwd, s.file), line: s.line, column: s.column } : null;
}

function entryOf(cwd: string, list: ExplainEntry['list'], m: ImageMatcher & { reason?: string; replacement?: string }): ExplainEntry {
  const e: ExplainEntry = { list, image: m.image, source: shown(cwd, m.source) };
  if (m.tags) e.tags = m.tags;
  if (m.semver !== undefined) e.semver = m.semver;
  if (m.variants) e.variants = m.variants;
  if (m.reason !== undefined) e.reason = m.reason;
  if (m.replacement !== undefined) e.replacement = m.replacement;
  return e;
}

/** Every single setting in force, in a fixed order, with where it was set and who locked it. */
function settingsOf(cwd: string, policy: Policy): ExplainSetting[] {
  const src = policy.sources ?? {};
  const locked = policy.locked ?? {};
  const out: ExplainSetting[] = [];
  const add = (key: string, value: unknown, lockKey = key): void => {
    out.push({ key, value, source: shown(cwd, src[key]), locked: shown(cwd, locked[lockKey]) });
  };
  add('registries.trusted', policy.trustedRegistries ?? null);
  add('pinning.level', policy.pinning.level);
  add('pinning.scope', policy.pinning.scope);
  add('pinning.precision', policy.pinning.precision);
  for (const [stage, level] of Object.entries(policy.pinning.stages)) add(`pinning.stages.${stage}`, level, 'pinning.level');
  add('pinning.platformDigests', policy.pinning.platformDigests ?? false);
  add('pinning.bump', policy.pinning.bump ?? 'patch');
  for (const k of ['baseImage', 'layer', 'copyContext'] as const) add(`sizes.${k}`, policy.sizes[k] ?? null);
  add('suppression.inline', policy.allowInlineSuppression);
  add('secrets.allowedNames', policy.secrets.allowedNames);
  add('secrets.sensitiveFiles', policy.secrets.sensitiveFiles);
  add('secrets.patterns', policy.secrets.patterns.map((p) => p.id));
  for (const [id, setting] of Object.entries(policy.rules).sort(([a], [b]) => a.localeCompare(b))) {
    out.push({ key: `rules.${id}`, value: setting.severity ?? null, source: shown(cwd, src[`rules.${id}`]), locked: shown(cwd, locked[`rules.${id}`] ?? locked['rules']) });
  }
  return out;
}

function stageLabel(use: ImageUse): string {
  const s = use.stage;
  return s ? (s.name ?? `#${s.index}`) : '(global)';
}

function explainImage(cwd: string, use: ImageUse, policy: Policy, result: LintResult): ExplainImage {
  const r = use.range.start;
  const findings = result.findings
    .filter((f) => f.range.start.line === use.range.start.line && f.range.start.character === use.range.start.character)
    .map((f) => f.ruleId);
  const out: ExplainImage = {
    kind: use.kind,
    line: r.line + 1,
    column: r.character + 1,
    stage: stageLabel(use),
    written: use.written,
    resolved: use.resolved,
    status: use.stageRef ? 'stage' : use.scratch ? 'scratch' : use.ref ? 'image' : 'unresolved',
    findings: [...new Set(findings)],
  };
  if (!use.stageRef && !use.scratch && revealsSecret(use, policy)) {
    // What it resolves to (and any verdict about it) would show a secret.
    const shown = maskedWritten(use, policy);
    return { ...out, status: 'masked', written: shown, resolved: shown };
  }
  const ref = use.ref;
  if (!ref || use.stageRef || use.scratch) return out;
  out.reference = normalisedName(ref);
  const verdict = judgeImage(ref, policy);
  out.verdict = verdict.kind;
  if (verdict.kind === 'denied') out.decidedBy = entryOf(cwd, 'images.deny', verdict.rule);
  else if (verdict.kind === 'approved') {
    if (verdict.rule) out.decidedBy = entryOf(cwd, 'images.allow', verdict.rule);
    else out.noAllowlist = true;
  } else out.near = verdict.near;
  const trusted = policy.trustedRegistries;
  const by = trusted?.find((g) => globMatch(g, ref.registry, true));
  out.registry = { host: ref.registry, trusted: !trusted || by !== undefined, source: shown(cwd, policy.sources?.['registries.trusted']) };
  if (by !== undefined) out.registry.by = by;
  const stageKey = use.stage?.name !== undefined && policy.pinning.stages[use.stage.name] !== undefined ? `pinning.stages.${use.stage.name}` : 'pinning.level';
  out.pin = {
    state: estatePin(use as ImageUse & { ref: typeof ref }),
    required: pinLevelFor(use.stage, policy),
    source: shown(cwd, policy.sources?.[stageKey]),
  };
  return out;
}

export interface ExplainOptions {
  cwd: string;
  today?: string;
  fetchRemote?: FetchRemote;
}

/** Builds the explanation; `problem` is set (and exit 2 is due) when the Dockerfile cannot be read. */
export async function explainDockerfile(args: ExplainArgs, options: ExplainOptions): Promise<{ report?: ExplainReport; problem?: string; policyErrors: boolean }> {
  const { cwd } = options;
  const path = resolve(cwd, args.dockerfile);
  let text: string;
  try {
    if (statSync(path).size > MAX_DOCKERFILE_BYTES) return { problem: `${args.dockerfile}: larger than ${MAX_DOCKERFILE_BYTES} bytes`, policyErrors: false };
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { problem: `${args.dockerfile}: cannot read: ${(e as Error).message}`, policyErrors: false };
  }
  const policyPath = args.policy !== undefined ? resolve(cwd, args.policy) : findPolicyFile(dirname(path));
  if (policyPath !== undefined && !existsSync(policyPath)) return { problem: `${args.policy ?? policyPath}: policy file not found`, policyErrors: true };
  let loaded: LoadResult = { policy: defaultPolicy(), errors: [], remote: [], pending: [] };
  if (policyPath !== undefined) loaded = await loadPolicyAsync(policyPath, { knownRuleIds, ...(options.fetchRemote ? { fetchRemote: options.fetchRemote } : {}) });
  const policy = loaded.policy;
  const root = policyPath !== undefined ? dirname(policyPath) : (repoRoot(dirname(path)) ?? dirname(path));
  const file = relative(root, path).split(sep).join('/');
  const absolutePath = path.split(sep).join('/');
  const today = options.today ?? todayUtc();
  const built = builtImageFor(policy, file, absolutePath);
  const result = lint({ text, file, absolutePath, policy, buildArgs: args.buildArgs, today, buildContext: readBuildContext(path), ...(built !== undefined ? { builtImage: built } : {}) });
  const now = Date.now();
  const report: ExplainReport = {
    dockerfile: rel(cwd, path),
    policy: {
      file: policyPath !== undefined ? rel(cwd, policyPath) : null,
      files: policy.files.map((f) => rel(cwd, f)),
      remote: loaded.remote.map((r) => ({ url: r.url, integrity: r.integrity, fromCache: r.fromCache, fetchedAt: new Date(r.fetchedAt).toISOString(), ageDays: Math.floor((now - r.fetchedAt) / 86_400_000) })),
      errors: loaded.errors.map((e) => ({ file: rel(cwd, e.file), line: e.line, column: e.column, severity: e.severity, code: e.code ?? 'error', message: e.message })),
    },
    settings: settingsOf(cwd, policy),
    entries: [
      ...(policy.allowedImages ?? []).map((m) => entryOf(cwd, 'images.allow', m)),
      ...policy.deniedImages.map((m) => entryOf(cwd, 'images.deny', m)),
    ],
    waivers: policy.waivers.map((w) => ({
      rules: w.rules,
      reason: w.reason,
      ...(w.owner !== undefined ? { owner: w.owner } : {}),
      ...(w.expires !== undefined ? { expires: w.expires } : {}),
      ...(w.file !== undefined ? { file: w.file } : {}),
      ...(w.image !== undefined ? { image: w.image } : {}),
      ...(w.stage !== undefined ? { stage: w.stage } : {}),
      source: shown(cwd, w.source),
    })),
    images: result.model.images.map((u) => explainImage(cwd, u, policy, result)),
    findings: [
      ...result.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, line: f.range.start.line + 1, column: f.range.start.character + 1 })),
      ...result.suppressed.map((f) => ({ ruleId: f.ruleId, severity: f.severity, line: f.range.start.line + 1, column: f.range.start.character + 1, suppressed: f.suppressed!.by })),
    ].sort((a, b) => a.line - b.line || a.column - b.column || compareRuleIds(a.ruleId, b.ruleId)),
  };
  return { report, policyErrors: loaded.errors.some((e) => e.severity === 'error') };
}

const at = (s: ShownSource | null): string => (s ? `${s.file}:${s.line}:${s.column}` : 'default');
const show = (v: unknown): string => (v === null ? '(none)' : Array.isArray(v) ? (v.length === 0 ? '[]' : v.join(', ')) : String(v));

function describeEntry(e: ExplainEntry): string {
  const parts = [e.image];
  if (e.tags) parts.push(`tags ${e.tags.join(', ')}`);
  if (e.semver !== undefined) parts.push(`semver ${e.semver}`);
  if (e.variants) parts.push(`variants ${e.variants.map((v) => v || '(none)').join(', ')}`);
  return parts.join('; ');
}

export function renderExplainText(r: ExplainReport): string {
  const lines: string[] = [];
  lines.push(`Dockerfile: ${r.dockerfile}`);
  lines.push(`Policy: ${r.policy.file ?? '(none found: built-in defaults)'}`);
  for (const f of r.policy.files) {
    const remote = r.policy.remote.find((x) => x.url === f);
    const note = remote ? (remote.fromCache ? ` (from the cache, fetched ${remote.fetchedAt.slice(0, 10)}, ${remote.ageDays} day${remote.ageDays === 1 ? '' : 's'} ago)` : ' (fetched now)') : '';
    lines.push(`  merged: ${f}${note}`);
  }
  for (const e of r.policy.errors) lines.push(`  ${e.file}:${e.line}:${e.column}: ${e.severity} [${e.code}] ${e.message}`);
  lines.push('', 'Settings:');
  const width = Math.max(...r.settings.map((s) => s.key.length));
  for (const s of r.settings) {
    const lock = s.locked ? `  [locked by ${at(s.locked)}]` : '';
    lines.push(`  ${s.key.padEnd(width)}  ${show(s.value)}  (${at(s.source)})${lock}`);
  }
  if (r.entries.length > 0) {
    lines.push('', 'Image entries:');
    for (const e of r.entries) lines.push(`  ${e.list.padEnd(12)} ${describeEntry(e)}  (${at(e.source)})`);
  }
  if (r.waivers.length > 0) {
    lines.push('', 'Waivers:');
    for (const w of r.waivers) lines.push(`  ${w.rules.join(', ')}: ${w.reason}${w.owner ? `; owner ${w.owner}` : ''}${w.expires ? `; expires ${w.expires}` : ''}  (${at(w.source)})`);
  }
  lines.push('', 'Images:');
  if (r.images.length === 0) lines.push('  (none)');
  for (const i of r.images) {
    const keyword = i.kind === 'from' ? 'FROM' : i.kind === 'copy-from' ? 'COPY --from' : 'RUN --mount=from';
    lines.push(`  ${r.dockerfile}:${i.line}:${i.column} ${keyword} ${i.written} (stage ${i.stage})`);
    if (i.resolved !== i.written) lines.push(`      resolves to ${i.resolved}`);
    if (i.status === 'stage') lines.push('      an earlier stage, not an image');
    if (i.status === 'scratch') lines.push('      scratch: no base image');
    if (i.status === 'unresolved') lines.push('      cannot be judged: ARGs without a value (pass --build-arg)');
    if (i.status === 'masked') lines.push('      not shown: it is built from a secret (an ARG whose name says so, or a literal token)');
    if (i.reference !== undefined) lines.push(`      reference ${i.reference}`);
    if (i.verdict === 'denied' && i.decidedBy) lines.push(`      DENIED by images.deny ${describeEntry(i.decidedBy)} (${at(i.decidedBy.source)}): ${i.decidedBy.reason ?? ''}${i.decidedBy.replacement ? `; use ${i.decidedBy.replacement}` : ''}`);
    if (i.verdict === 'approved') lines.push(i.decidedBy ? `      approved by images.allow ${describeEntry(i.decidedBy)} (${at(i.decidedBy.source)})` : '      approved: the policy has no allowlist');
    if (i.verdict === 'unapproved') lines.push(`      NOT APPROVED: no images.allow entry matches${i.near && i.near.length > 0 ? ` (${i.near.join('; ')})` : ''}`);
    if (i.registry) lines.push(`      registry ${i.registry.host} ${i.registry.trusted ? (i.registry.by !== undefined ? `trusted by "${i.registry.by}" (${at(i.registry.source)})` : 'trusted: the policy has no registry list') : `NOT TRUSTED (registries.trusted at ${at(i.registry.source)})`}`);
    if (i.pin) lines.push(`      pinned: ${i.pin.state}; the policy requires ${i.pin.required} (${at(i.pin.source)})`);
    if (i.findings.length > 0) lines.push(`      findings: ${i.findings.join(', ')}`);
  }
  if (r.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const f of r.findings) lines.push(`  ${r.dockerfile}:${f.line}:${f.column} ${f.severity} ${f.ruleId}${f.suppressed ? ` (suppressed by ${f.suppressed})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function write(output: string | undefined, text: string): void {
  if (output !== undefined) writeFileSync(output, text);
  else process.stdout.write(text);
}

export async function runExplainCommand(args: ExplainArgs): Promise<number> {
  const fetcher = policyFetcher(args.offline, args.cacheDir);
  let out;
  try {
    out = await explainDockerfile(args, { cwd: process.cwd(), fetchRemote: fetcher.fetch, ...(process.env.PLIMSOLL_TODAY ? { today: process.env.PLIMSOLL_TODAY } : {}) });
  } finally {
    await fetcher.close();
  }
  if (!out.report) {
    process.stderr.write(`plimsoll: ${out.problem ?? 'nothing to explain'}\n`);
    return 2;
  }
  write(args.output, args.format === 'json' ? `${JSON.stringify(out.report, null, 2)}\n` : renderExplainText(out.report));
  return out.policyErrors ? 2 : 0;
}

// ---- check ----

export interface CheckReport {
  file: string;
  /** Every file merged, most general first. */
  files: string[];
  problems: Array<{ file: string; line: number; column: number; severity: CheckSeverity; code: string; message: string; suggestion?: string }>;
  counts: Record<CheckSeverity, number>;
}

export async function checkPolicy(args: CheckArgs, options: ExplainOptions): Promise<{ report?: CheckReport; problem?: string }> {
  const { cwd } = options;
  const path = resolve(cwd, args.policyFile);
  if (!existsSync(path)) return { problem: `${args.policyFile}: policy file not found` };
  const loaded = await loadPolicyAsync(path, { knownRuleIds, ...(options.fetchRemote ? { fetchRemote: options.fetchRemote } : {}) });
  const problems: CheckReport['problems'] = loaded.errors.map((e) => ({
    file: rel(cwd, e.file),
    line: e.line,
    column: e.column,
    severity: e.severity,
    code: e.code ?? 'error',
    message: e.message,
    ...(e.suggestion !== undefined ? { suggestion: e.suggestion } : {}),
  }));
  // The checks beyond the schema apply to this file; its parents are checked where they are kept.
  let data: Uint8Array | undefined;
  try {
    data = readFileCapped(path, MAX_POLICY_BYTES);
  } catch {
    data = undefined;
  }
  const decoded = data ? decodePolicyBytes(data) : undefined;
  if (decoded && 'text' in decoded) {
    const { policy: doc } = policyParser().parsePolicyText(decoded.text, path, knownRuleIds);
    if (doc) for (const p of checkPolicyDocument(doc, options.today ?? todayUtc(), args.soonDays)) problems.push({ ...p, file: rel(cwd, p.file) });
  }
  const self = rel(cwd, path);
  problems.sort((a, b) => Number(a.file !== self) - Number(b.file !== self) || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  const counts: Record<CheckSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const p of problems) counts[p.severity]++;
  return { report: { file: self, files: loaded.policy.files.map((f) => rel(cwd, f)), problems, counts } };
}

export function checkExitCode(r: CheckReport): number {
  return r.counts.error > 0 ? 2 : r.counts.warning > 0 ? 1 : 0;
}

export function renderCheckText(r: CheckReport): string {
  const lines = r.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.severity} [${p.code}] ${p.message}`);
  const total = r.problems.length;
  lines.push(total === 0 ? `${r.file}: no problems.` : `${r.file}: ${r.counts.error} error${r.counts.error === 1 ? '' : 's'}, ${r.counts.warning} warning${r.counts.warning === 1 ? '' : 's'}, ${r.counts.info} note${r.counts.info === 1 ? '' : 's'}.`);
  return `${lines.join('\n')}\n`;
}

export async function runCheckCommand(args: CheckArgs): Promise<number> {
  const fetcher = policyFetcher(args.offline, args.cacheDir);
  let out;
  try {
    out = await checkPolicy(args, { cwd: process.cwd(), fetchRemote: fetcher.fetch, ...(process.env.PLIMSOLL_TODAY ? { today: process.env.PLIMSOLL_TODAY } : {}) });
  } finally {
    await fetcher.close();
  }
  if (!out.report) {
    process.stderr.write(`plimsoll: ${out.problem ?? 'nothing to check'}\n`);
    return 2;
  }
  write(args.output, args.format === 'json' ? `${JSON.stringify(out.report, null, 2)}\n` : renderCheckText(out.report));
  return checkExitCode(out.report);
}
