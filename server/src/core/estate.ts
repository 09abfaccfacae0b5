// The estate report's figures: every Dockerfile's stages, their base images (through ARGs), how each is
// pinned, whether the policy approves it, its size where registry facts know it, secret and size
// findings by rule, and the waivers in force. Pure: lint results in, plain data out; the renderers
// (server/src/cli/estate/) only lay it out. No finding message is carried, so no secret can leak.
import { compareRuleIds, type Finding } from './types.ts';
import type { Policy, PolicySource, Waiver } from './policy.ts';
import type { RegistryFacts } from './facts.ts';
import type { DockerfileModel, ImageUse } from './model.ts';
import { familiarName, normalisedName, repositoryName, type ImageRef } from './imageRef.ts';
import { judgeImage } from './images.ts';
import { globMatch } from './glob.ts';
import { pinState as provenancePin } from './provenance.ts';
import { factsKey, familiarRepository, imageFacts, manifestFor } from './registryView.ts';
import { waiverExpired, waiverMatches } from './suppress.ts';

export type EstatePin = 'digest' | 'exact' | 'floating' | 'latest' | 'untagged';
export const ESTATE_PINS: readonly EstatePin[] = ['digest', 'exact', 'floating', 'latest', 'untagged'];
export type EstateVerdict = 'approved' | 'denied' | 'unapproved' | 'untrusted';
export type WaiverStatus = 'expired' | 'expiring' | 'active' | 'no-expiry';

export interface EstateFileInput {
  /** As shown to the user (relative, `/`-separated). */
  display: string;
  /** Path relative to the policy root, and the absolute path: what waivers were matched against. */
  file: string;
  absolutePath?: string;
  /** The policy file in force, as shown; undefined for the built-in defaults. */
  policyFile?: string;
  policy: Policy;
  model: DockerfileModel;
  findings: readonly Finding[];
  suppressed: readonly Finding[];
}

export interface EstateInput {
  files: readonly EstateFileInput[];
  facts?: RegistryFacts;
  /** `YYYY-MM-DD`. */
  today: string;
  /** Waivers expiring within this many days are "expiring soon". Default 30. */
  soonDays?: number;
  /** How to show a policy file path (absolute or URL) in the report. */
  showFile?: (file: string) => string;
}

export interface EstateStage {
  index: number;
  name?: string;
  /** 1-based line of the FROM. */
  line: number;
  written: string;
  resolved: string;
  kind: 'image' | 'stage' | 'scratch' | 'unresolved';
  /** For `kind: image`. */
  reference?: string;
  image?: string;
  repository?: string;
  pin?: EstatePin;
  verdict?: EstateVerdict;
  /** The deny reason, or what the nearest allow entries wanted. */
  reason?: string;
  /** Compressed bytes for the platform pulled, when registry facts know it. */
  size?: number;
  sizeKind?: 'compressed' | 'uncompressed';
  isFinal: boolean;
  /** The reference would show a secret (see revealsSecret): `written` and `resolved` are the text as written, literal secrets masked. */
  masked?: boolean;
}

export interface EstateFile {
  path: string;
  policy: string | null;
  stages: EstateStage[];
  /** Visible secret and size findings by rule id. */
  findings: Record<string, number>;
  /** Findings hidden by waivers or pragmas (any category). */
  suppressed: number;
}

export interface EstateBaseImage {
  /** `node`, `ghcr.io/acme/app`: the repository as people write it. */
  image: string;
  repository: string;
  uses: number;
  files: number;
  tags: Array<{ tag: string; uses: number }>;
  pins: Record<EstatePin, number>;
  notApproved: number;
}

export interface EstateRejected {
  reference: string;
  image: string;
  verdict: Exclude<EstateVerdict, 'approved'>;
  reason?: string;
  uses: number;
  files: string[];
}

export interface EstateSize {
  reference: string;
  image: string;
  bytes: number;
  kind: 'compressed' | 'uncompressed';
  uses: number;
}

export interface EstateRuleCount {
  ruleId: string;
  ruleName: string;
  category: 'secret' | 'size';
  findings: number;
  files: number;
  suppressed: number;
}

export interface EstateWaiver {
  policy: string;
  line: number;
  rules: string[];
  reason: string;
  owner?: string;
  expires?: string;
  status: WaiverStatus;
  /** Days until `expires` (0 on the day, negative once expired). */
  daysLeft?: number;
  file?: string;
  image?: string;
  stage?: string;
  /** Findings this waiver hid in the files reported. */
  hidden: number;
}

export interface EstateSummary {
  files: number;
  stages: number;
  /** Stages whose FROM names a real image (not an earlier stage, scratch, or an unresolved ARG). */
  baseImageUses: number;
  distinctBaseImages: number;
  distinctReferences: number;
  pins: Record<EstatePin, number>;
  /** `pins.digest / baseImageUses`, 0 when there are none. */
  digestShare: number;
  notApproved: number;
  unresolved: number;
  scratch: number;
  stageRefs: number;
  withSize: number;
  secretFindings: number;
  sizeFindings: number;
  waivers: number;
  waiversExpiringSoon: number;
  waiversExpired: number;
}

export interface EstateReport {
  schema: 'plimsoll-estate/1';
  today: string;
  soonDays: number;
  summary: EstateSummary;
  baseImages: EstateBaseImage[];
  notApproved: EstateRejected[];
  sizes: EstateSize[];
  rules: EstateRuleCount[];
  waivers: EstateWaiver[];
  files: EstateFile[];
}

const DAY_MS = 86_400_000;
function dayNumber(day: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS : undefined;
}

import { maskedWritten, revealsSecret } from './secrets.ts';

export { maskedWritten, revealsSecret };

export function estatePin(use: ImageUse & { ref: ImageRef }): EstatePin {
  const p = provenancePin(use);
  if (p === 'exact-tag') return 'exact';
  if (p === 'latest' && use.ref.tag === undefined) return 'untagged';
  return p === 'none' ? 'untagged' : p;
}

/** Approved means the allow and deny lists say yes and the registry is trusted. */
function verdictOf(ref: ImageRef, policy: Policy): { verdict: EstateVerdict; reason?: string } {
  const v = judgeImage(ref, policy);
  if (v.kind === 'denied') return { verdict: 'denied', reason: v.rule.reason };
  if (v.kind === 'unapproved') return v.near.length > 0 ? { verdict: 'unapproved', reason: v.near.join('; ') } : { verdict: 'unapproved' };
  const trusted = policy.trustedRegistries;
  if (trusted && !trusted.some((g) => globMatch(g, ref.registry, true))) return { verdict: 'untrusted', reason: `${ref.registry} is not a trusted registry` };
  return { verdict: 'approved' };
}

const sourceKey = (s: PolicySource | undefined, w: Waiver): string => (s ? `${s.file}\0${s.line}\0${s.column}` : `\0${w.rules.join(',')}\0${w.reason}`);

export function buildEstate(input: EstateInput): EstateReport {
  const acc = new EstateAccumulator(input);
  for (const f of input.files) acc.add(f);
  return acc.finish();
}

/**
 * Builds the report one file at a time, so a caller walking thousands of Dockerfiles can let each
 * file's model go as soon as it is added.
 */
export class EstateAccumulator {
  private readonly soonDays: number;
  private readonly show: (f: string) => string;
  private readonly summary: EstateSummary;
  private readonly bases = new Map<string, EstateBaseImage & { fileSet: Set<string>; tagMap: Map<string, number> }>();
  private readonly rejected = new Map<string, EstateRejected & { fileSet: Set<string> }>();
  private readonly sizes = new Map<string, EstateSize>();
  private readonly rules = new Map<string, EstateRuleCount & { fileSet: Set<string> }>();
  private readonly waivers = new Map<string, { w: Waiver; hidden: number }>();
  private readonly references = new Set<string>();
  private readonly files: EstateFile[] = [];

  constructor(private readonly options: Omit<EstateInput, 'files'>) {
    this.soonDays = options.soonDays ?? 30;
    this.show = options.showFile ?? ((f: string) => f);
    this.summary = {
      files: 0, stages: 0, baseImageUses: 0, distinctBaseImages: 0, distinctReferences: 0, pins: emptyPins(), digestShare: 0,
      notApproved: 0, unresolved: 0, scratch: 0, stageRefs: 0, withSize: 0, secretFindings: 0, sizeFindings: 0, waivers: 0, waiversExpiringSoon: 0, waiversExpired: 0,
    };
  }

  /** Adds one Dockerfile; `facts` overrides the accumulator's (the same facts for every file, usually). */
  add(f: EstateFileInput, facts: RegistryFacts | undefined = this.options.facts): void {
    const { summary, bases, rejected, sizes, rules, waivers, references } = this;
    summary.files++;
    const stages: EstateStage[] = [];
    for (const stage of f.model.stages) {
      summary.stages++;
      const use = stage.image;
      const s: EstateStage = {
        index: stage.index,
        line: use.range.start.line + 1,
        written: use.written,
        resolved: use.resolved,
        kind: use.stageRef ? 'stage' : use.scratch ? 'scratch' : use.ref ? 'image' : 'unresolved',
        isFinal: stage.isFinal,
      };
      if (stage.name !== undefined) s.name = stage.name;
      if (!use.stageRef && !use.scratch && revealsSecret(use, f.policy)) {
        // Counted as unresolved: judging it would print the secret in a verdict or a tag list.
        const shown = maskedWritten(use, f.policy);
        Object.assign(s, { kind: 'unresolved', written: shown, resolved: shown, masked: true });
      }
      stages.push(s);
      if (s.kind === 'stage') summary.stageRefs++;
      if (s.kind === 'scratch') summary.scratch++;
      if (s.kind === 'unresolved') summary.unresolved++;
      const ref = use.ref;
      if (s.kind !== 'image' || !ref) continue;
      const withRef = use as ImageUse & { ref: ImageRef };
      const reference = normalisedName(ref);
      const repository = repositoryName(ref);
      const image = familiarName(ref);
      const pin = estatePin(withRef);
      const { verdict, reason } = verdictOf(ref, f.policy);
      Object.assign(s, { reference, image, repository, pin, verdict });
      if (reason !== undefined) s.reason = reason;
      summary.baseImageUses++;
      summary.pins[pin]++;
      references.add(reference);

      let base = bases.get(repository);
      if (!base) {
        base = { image: familiarRepository(ref), repository, uses: 0, files: 0, tags: [], pins: emptyPins(), notApproved: 0, fileSet: new Set(), tagMap: new Map() };
        bases.set(repository, base);
      }
      base.uses++;
      base.fileSet.add(f.display);
      base.pins[pin]++;
      const tag = ref.tag ?? (ref.digest !== undefined ? '@digest' : 'latest');
      base.tagMap.set(tag, (base.tagMap.get(tag) ?? 0) + 1);

      if (verdict !== 'approved') {
        summary.notApproved++;
        base.notApproved++;
        const key = `${reference}\0${verdict}\0${reason ?? ''}`;
        let r = rejected.get(key);
        if (!r) {
          r = { reference, image, verdict, ...(reason !== undefined ? { reason } : {}), uses: 0, files: [], fileSet: new Set() };
          rejected.set(key, r);
        }
        r.uses++;
        r.fileSet.add(f.display);
      }

      const known = imageFacts(facts, factsKey(ref));
      const manifest = known ? manifestFor(use, known) : undefined;
      if (manifest) {
        s.size = manifest.totalSize;
        s.sizeKind = manifest.sizeKind ?? 'compressed';
        summary.withSize++;
        const sz = sizes.get(reference);
        if (sz) sz.uses++;
        else sizes.set(reference, { reference, image, bytes: manifest.totalSize, kind: s.sizeKind, uses: 1 });
      }
    }

    const counts: Record<string, number> = {};
    for (const finding of f.findings) {
      if (finding.category !== 'secret' && finding.category !== 'size') continue;
      counts[finding.ruleId] = (counts[finding.ruleId] ?? 0) + 1;
      if (finding.category === 'secret') summary.secretFindings++;
      else summary.sizeFindings++;
      const r = ruleEntry(rules, finding);
      r.findings++;
      r.fileSet.add(f.display);
    }
    for (const finding of f.suppressed) {
      if (finding.category === 'secret' || finding.category === 'size') ruleEntry(rules, finding).suppressed++;
    }

    // Waivers in force for this file, each counted once across the estate (by where it is written).
    for (const w of f.policy.waivers) {
      const key = sourceKey(w.source, w);
      if (!waivers.has(key)) waivers.set(key, { w, hidden: 0 });
    }
    for (const finding of f.suppressed) {
      if (finding.suppressed?.by !== 'waiver') continue;
      const subject = {
        ruleId: finding.ruleId,
        file: f.file,
        ...(f.absolutePath !== undefined ? { absolutePath: f.absolutePath } : {}),
        ...(finding.stage !== undefined ? { stage: finding.stage } : {}),
        ...(finding.image !== undefined ? { image: finding.image } : {}),
      };
      const w = f.policy.waivers.find((x) => !waiverExpired(x, this.options.today) && waiverMatches(x, subject));
      if (w) waivers.get(sourceKey(w.source, w))!.hidden++;
    }

    this.files.push({ path: f.display, policy: f.policyFile ?? null, stages, findings: sortedRecord(counts), suppressed: f.suppressed.length });
  }

  finish(): EstateReport {
    const { summary, soonDays } = this;
    const today = dayNumber(this.options.today) ?? 0;
    const waiverList: EstateWaiver[] = [...this.waivers.values()].map(({ w, hidden }) => {
      const expires = w.expires !== undefined ? dayNumber(w.expires) : undefined;
      const daysLeft = w.expires === undefined ? undefined : expires === undefined ? Number.NEGATIVE_INFINITY : expires - today;
      const status: WaiverStatus = daysLeft === undefined ? 'no-expiry' : daysLeft < 0 ? 'expired' : daysLeft <= soonDays ? 'expiring' : 'active';
      const out: EstateWaiver = { policy: w.source ? this.show(w.source.file) : '', line: w.source?.line ?? 0, rules: w.rules, reason: w.reason, status, hidden };
      if (w.owner !== undefined) out.owner = w.owner;
      if (w.expires !== undefined) out.expires = w.expires;
      if (daysLeft !== undefined && Number.isFinite(daysLeft)) out.daysLeft = daysLeft;
      if (w.file !== undefined) out.file = w.file;
      if (w.image !== undefined) out.image = w.image;
      if (w.stage !== undefined) out.stage = w.stage;
      return out;
    });
    const statusOrder: Record<WaiverStatus, number> = { expired: 0, expiring: 1, active: 2, 'no-expiry': 3 };
    waiverList.sort((a, b) => statusOrder[a.status] - statusOrder[b.status] || (a.expires ?? '').localeCompare(b.expires ?? '') || a.policy.localeCompare(b.policy) || a.line - b.line);
    summary.waivers = waiverList.length;
    summary.waiversExpired = waiverList.filter((w) => w.status === 'expired').length;
    summary.waiversExpiringSoon = waiverList.filter((w) => w.status === 'expiring').length;
    summary.distinctBaseImages = this.bases.size;
    summary.distinctReferences = this.references.size;
    summary.digestShare = summary.baseImageUses === 0 ? 0 : summary.pins.digest / summary.baseImageUses;

    const byUses = <T extends { uses: number }>(key: (x: T) => string) => (a: T, b: T) => b.uses - a.uses || key(a).localeCompare(key(b));
    return {
      schema: 'plimsoll-estate/1',
      today: this.options.today,
      soonDays,
      summary: { ...summary, pins: { ...summary.pins } },
      baseImages: [...this.bases.values()]
        .map(({ fileSet, tagMap, ...b }) => ({
          ...b,
          files: fileSet.size,
          tags: [...tagMap.entries()].map(([tag, uses]) => ({ tag, uses })).sort(byUses((t) => t.tag)),
        }))
        .sort(byUses((b) => b.repository)),
      notApproved: [...this.rejected.values()].map(({ fileSet, ...r }) => ({ ...r, files: [...fileSet].sort() })).sort(byUses((r) => r.reference)),
      sizes: [...this.sizes.values()].sort((a, b) => b.bytes - a.bytes || a.reference.localeCompare(b.reference)),
      rules: [...this.rules.values()].map(({ fileSet, ...r }) => ({ ...r, files: fileSet.size })).sort((a, b) => b.findings - a.findings || compareRuleIds(a.ruleId, b.ruleId)),
      waivers: waiverList,
      files: [...this.files].sort((a, b) => a.path.localeCompare(b.path)),
    };
  }
}

const emptyPins = (): Record<EstatePin, number> => ({ digest: 0, exact: 0, floating: 0, latest: 0, untagged: 0 });

function ruleEntry(rules: Map<string, EstateRuleCount & { fileSet: Set<string> }>, f: Finding): EstateRuleCount & { fileSet: Set<string> } {
  let r = rules.get(f.ruleId);
  if (!r) {
    r = { ruleId: f.ruleId, ruleName: f.ruleName, category: f.category as 'secret' | 'size', findings: 0, files: 0, suppressed: 0, fileSet: new Set() };
    rules.set(f.ruleId, r);
  }
  return r;
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
