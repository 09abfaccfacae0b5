// Provenance of an image use for hovers: what the reference resolves to, what the registry says about it
// (digests, platforms, created date, layers with the step that made each, labels, attestations), what the
// policy says, and how firmly it is pinned. Plus, for the built image, which layer each instruction made
// (hover on any instruction) and per-instruction and per-stage sizes (inlay hints). Pure: data in, data and
// Markdown out; it shows only what the facts say and never estimates.
import type { ImageFacts, ManifestFact, Platform, RegistryFacts } from './facts.ts';
import type { DockerfileModel, ImageUse, ImageUseKind, Instr } from './model.ts';
import type { PinLevel, Policy, PolicySource } from './policy.ts';
import type { Position } from './types.ts';
import { comparePositions } from './types.ts';
import { familiarName, normalisedName, splitTag, type ImageRef } from './imageRef.ts';
import { judgeImage, pinLevelFor } from './images.ts';
import { factsKey, imageFacts, manifestFor } from './registryView.ts';
import { builtImageMapping, stageChain, type MappedEntry } from './history.ts';
import { formatBytes } from './units.ts';
import { ruleDocsUrl as defaultDocsUrl } from '../rules/index.ts';

export type PinState = 'digest' | 'exact-tag' | 'floating' | 'latest' | 'none';

export interface ReferenceVariable {
  name: string;
  /** The value used, or undefined when the variable has none. */
  value?: string;
  /** 1-based line of the ARG that supplies it, when written in this file. */
  line?: number;
}

export interface ProvenanceLayer {
  /** 1-based. */
  index: number;
  digest: string;
  size: number;
  /** The history step that made the layer, when the history's layer count agrees with the manifest. */
  createdBy?: string;
}

export interface ProvenanceLabels {
  source?: string;
  revision?: string;
  version?: string;
  baseName?: string;
  baseDigest?: string;
  created?: string;
  /** Every other label and manifest annotation, sorted by key. */
  others: Array<[string, string]>;
}

export interface ProvenanceAttestations {
  /** SLSA provenance present (predicate type `https://slsa.dev/provenance/...`). */
  provenance: boolean;
  /** An SBOM present (SPDX or CycloneDX predicate type). */
  sbom: boolean;
  predicateTypes: string[];
}

export interface ProvenanceVerdict {
  kind: 'approved' | 'denied' | 'unapproved';
  /** The allow or deny entry that decided it. */
  entry?: { image: string; detail?: string; source?: PolicySource };
  /** Approved only because the policy has no allowlist. */
  noAllowlist: boolean;
  reason?: string;
  replacement?: string;
  /** Why the allow entries whose image glob matched did not match (unapproved only). */
  near: string[];
  /** The rule that reports a rejected image (PL102 denied, PL101 unapproved). */
  ruleId?: string;
}

export interface ProvenanceData {
  kind: ImageUseKind;
  reference: {
    written: string;
    resolved: string;
    /** `docker.io/library/node:20.11.1-alpine`, when the reference parses. */
    normalised?: string;
    familiar?: string;
    variables: ReferenceVariable[];
    unresolved: string[];
    /** Set when the use names an earlier stage. */
    stage?: { name?: string; line: number };
    scratch: boolean;
  };
  digest?: {
    /** What the reference resolves to now: the index digest for a multi-platform image. */
    resolved?: string;
    /** The platform manifest this use pulls, when it differs from `resolved`. */
    manifest?: string;
    /** For `repo:tag@digest`: where the tag points now. */
    tagNow?: string;
    mediaType?: string;
  };
  platform?: string;
  platforms: string[];
  created?: string;
  size?: { total: number; kind: 'compressed' | 'uncompressed'; layers: ProvenanceLayer[] };
  labels: ProvenanceLabels;
  attestations: ProvenanceAttestations;
  verdict?: ProvenanceVerdict;
  pin: { state: PinState; tag?: string; digest?: string; required: PinLevel };
  facts: { fetchedAt?: string; fromCache?: boolean; source?: 'registry' | 'engine'; error?: string; known: boolean };
}

const SLSA_RE = /^https:\/\/slsa\.dev\/provenance\//;
const SBOM_RE = /^https:\/\/(?:spdx\.dev\/Document|cyclonedx\.org\/bom)/;
const OCI = 'org.opencontainers.image.';

export function platformName(p: Platform | undefined): string | undefined {
  return p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : undefined;
}

export function pinState(use: ImageUse): PinState {
  const ref = use.ref;
  if (!ref || use.stageRef || use.scratch) return 'none';
  if (ref.digest !== undefined) return 'digest';
  if (ref.tag === undefined || ref.tag === 'latest') return 'latest';
  const parts = splitTag(ref.tag);
  return parts.version !== undefined && parts.components >= 3 ? 'exact-tag' : 'floating';
}

export function provenance(model: DockerfileModel, use: ImageUse, facts: RegistryFacts | undefined, policy: Policy): ProvenanceData {
  const ref = use.ref && !use.stageRef && !use.scratch ? use.ref : undefined;
  const data: ProvenanceData = {
    kind: use.kind,
    reference: { written: use.written, resolved: use.resolved, variables: referenceVariables(model, use), unresolved: use.unresolved, scratch: use.scratch },
    platforms: [],
    labels: { others: [] },
    attestations: { provenance: false, sbom: false, predicateTypes: [] },
    pin: { state: pinState(use), required: pinLevelFor(use.stage, policy) },
    facts: { known: false },
  };
  if (use.stageRef) data.reference.stage = { ...(use.stageRef.name ? { name: use.stageRef.name } : {}), line: use.stageRef.from.range.start.line + 1 };
  if (!ref) return data;
  data.reference.normalised = normalisedName(ref);
  data.reference.familiar = familiarName(ref);
  if (ref.tag !== undefined) data.pin.tag = ref.tag;
  if (ref.digest !== undefined) data.pin.digest = ref.digest;
  data.verdict = verdictFor(ref, policy);

  const raw = facts?.images.get(factsKey(ref));
  if (raw?.error) data.facts.error = `${raw.error.code}: ${raw.error.message.replace(/[\r\n]+/g, ' ')}`;
  const f = imageFacts(facts, factsKey(ref));
  if (!f) return data;
  data.facts = { known: true, fetchedAt: f.fetchedAt, fromCache: f.fromCache, ...(f.source ? { source: f.source } : {}) };
  const m = manifestFor(use, f);
  data.digest = digestsOf(f, m);
  data.platforms = f.manifests.map((x) => platformName(x.platform)).filter((p): p is string => p !== undefined && !p.startsWith('unknown/'));
  if (m) {
    const p = platformName(m.platform);
    if (p) data.platform = p;
    const created = m.config?.created;
    if (created) data.created = created;
    data.size = { total: m.totalSize, kind: m.sizeKind === 'uncompressed' ? 'uncompressed' : 'compressed', layers: layersOf(m) };
    data.labels = labelsOf({ ...(m.annotations ?? {}), ...(m.config?.labels ?? {}) });
    if (!data.created && data.labels.created) data.created = data.labels.created;
  }
  data.attestations = attestationsOf(f, m);
  return data;
}

function referenceVariables(model: DockerfileModel, use: ImageUse): ReferenceVariable[] {
  const names = [...new Set([...use.written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((x) => x[1]!))];
  return names.map((name) => {
    const v: ReferenceVariable = { name };
    if (use.unresolved.includes(name)) return v;
    if (use.argSource?.name === name) {
      v.value = use.argSource.value;
      v.line = use.argSource.instr.range.start.line + 1;
      return v;
    }
    const decl = model.instructions.filter((i) => i.keyword === 'ARG' && i.index < use.instr.index && i.properties.some((p) => p.name === name && p.value !== null)).at(-1);
    const prop = decl?.properties.find((p) => p.name === name);
    if (decl && prop?.value != null) {
      v.value = prop.value;
      v.line = decl.range.start.line + 1;
    }
    return v;
  });
}

function verdictFor(ref: ImageRef, policy: Policy): ProvenanceVerdict {
  const v = judgeImage(ref, policy);
  if (v.kind === 'denied') {
    return {
      kind: 'denied',
      entry: { image: v.rule.image, ...matcherDetail(v.rule), ...(v.rule.source ? { source: v.rule.source } : {}) },
      noAllowlist: policy.allowedImages === undefined,
      reason: v.rule.reason,
      ...(v.rule.replacement ? { replacement: v.rule.replacement } : {}),
      near: [],
      ruleId: 'PL102',
    };
  }
  if (v.kind === 'unapproved') return { kind: 'unapproved', noAllowlist: false, near: v.near, ruleId: 'PL101' };
  const out: ProvenanceVerdict = { kind: 'approved', noAllowlist: policy.allowedImages === undefined, near: [] };
  if (v.rule) out.entry = { image: v.rule.image, ...matcherDetail(v.rule), ...(v.rule.source ? { source: v.rule.source } : {}) };
  return out;
}

function matcherDetail(m: { tags?: string[]; semver?: string; variants?: string[] }): { detail?: string } {
  const parts = [m.tags ? `tags ${m.tags.join(', ')}` : '', m.semver ? `semver ${m.semver}` : '', m.variants ? `variants ${m.variants.map((x) => x || '(none)').join(', ')}` : ''].filter(Boolean);
  return parts.length > 0 ? { detail: parts.join('; ') } : {};
}

function digestsOf(f: ImageFacts, m: ManifestFact | undefined): NonNullable<ProvenanceData['digest']> {
  const d: NonNullable<ProvenanceData['digest']> = {};
  if (f.digest) d.resolved = f.digest;
  if (m && m.digest !== f.digest) d.manifest = m.digest;
  if (f.tagDigest && f.tagDigest !== f.digest) d.tagNow = f.tagDigest;
  if (f.mediaType) d.mediaType = f.mediaType;
  return d;
}

function layersOf(m: ManifestFact): ProvenanceLayer[] {
  const made = m.config?.history.filter((h) => !h.emptyLayer) ?? [];
  const aligned = made.length === m.layers.length;
  return m.layers.map((l, i) => {
    const layer: ProvenanceLayer = { index: i + 1, digest: l.digest, size: l.size };
    const by = aligned ? made[i]?.createdBy : undefined;
    if (by) layer.createdBy = by;
    return layer;
  });
}

function labelsOf(all: Record<string, string>): ProvenanceLabels {
  const out: ProvenanceLabels = { others: [] };
  const known: Record<string, keyof Omit<ProvenanceLabels, 'others'>> = {
    [`${OCI}source`]: 'source',
    [`${OCI}revision`]: 'revision',
    [`${OCI}version`]: 'version',
    [`${OCI}base.name`]: 'baseName',
    [`${OCI}base.digest`]: 'baseDigest',
    [`${OCI}created`]: 'created',
  };
  for (const [k, v] of Object.entries(all).sort(([a], [b]) => a.localeCompare(b))) {
    const slot = known[k];
    if (slot) out[slot] = v;
    else out.others.push([k, v]);
  }
  return out;
}

function attestationsOf(f: ImageFacts, m: ManifestFact | undefined): ProvenanceAttestations {
  const forThis = m ? f.attestations.filter((a) => a.subjectDigest === m.digest) : [];
  const chosen = forThis.length > 0 ? forThis : f.attestations;
  const types = [...new Set(chosen.flatMap((a) => a.predicateTypes))].sort();
  return { provenance: types.some((t) => SLSA_RE.test(t)), sbom: types.some((t) => SBOM_RE.test(t)), predicateTypes: types };
}

// ---------------------------------------------------------------------------------------------------------
// Markdown

const BAR_WIDTH = 8;

/** `████░░░░`: the layer's share of the image, at least one block for any non-empty layer. */
export function sizeBar(size: number, total: number, width = BAR_WIDTH): string {
  const filled = total > 0 && size > 0 ? Math.min(width, Math.max(1, Math.round((size / total) * width))) : 0;
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function code(s: string): string {
  const t = s.replace(/[\r\n]+/g, ' ');
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function short(s: string, n: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function sourceText(s: PolicySource | undefined): string {
  if (!s) return '';
  const name = s.file.replace(/^.*[\\/]/, '');
  return ` (${name}:${s.line})`;
}

export function renderProvenanceMarkdown(data: ProvenanceData, docsUrl: (ruleId: string) => string = defaultDocsUrl): string {
  const out: string[] = [];
  const r = data.reference;
  if (r.stage) {
    out.push(`Stage ${code(r.stage.name ?? '?')} (line ${r.stage.line}).`);
    return out.join('\n');
  }
  if (r.scratch) return `${code('scratch')}: the empty image, nothing to pull.`;

  // Summary
  const head = r.normalised ? `**${code(r.familiar ?? r.normalised)}**` : `**${code(r.written || r.resolved)}**`;
  const facts = [data.platform, data.size ? `${formatBytes(data.size.total)} ${data.size.kind}` : undefined, data.size ? `${data.size.layers.length} layer${data.size.layers.length === 1 ? '' : 's'}` : undefined, data.created ? `created ${data.created.slice(0, 10)}` : undefined].filter(Boolean);
  out.push(facts.length > 0 ? `${head} · ${facts.join(' · ')}` : head, '');

  // Reference
  const refLines: string[] = [];
  if (r.normalised && r.normalised !== r.written) refLines.push(`- Reference: ${code(r.written)} → ${code(r.normalised)}`);
  for (const v of r.variables) {
    refLines.push(v.value !== undefined ? `- ${code(`$${v.name}`)} = ${code(v.value)}${v.line ? ` (ARG on line ${v.line})` : ''}` : `- ${code(`$${v.name}`)} has no value`);
  }
  if (r.unresolved.length > 0 && !r.normalised) refLines.push(`- Cannot be resolved: ${r.unresolved.map((x) => code(`$${x}`)).join(', ')} ha${r.unresolved.length === 1 ? 's' : 've'} no value`);
  if (data.digest?.resolved) refLines.push(`- Digest: ${code(data.digest.resolved)}${data.digest.manifest ? ` (index); ${data.platform ?? 'this platform'}: ${code(data.digest.manifest)}` : ''}`);
  if (data.digest?.tagNow) refLines.push(`- The tag now points to ${code(data.digest.tagNow)}`);
  if (data.platforms.length > 1) refLines.push(`- Platforms: ${data.platforms.map(code).join(', ')}`);
  const pinText: Record<PinState, string> = {
    digest: 'pinned by digest',
    'exact-tag': `exact tag ${code(data.pin.tag ?? '')}, no digest`,
    floating: `floating tag ${code(data.pin.tag ?? '')}`,
    latest: data.pin.tag === undefined ? `no tag (Docker pulls ${code('latest')})` : `${code('latest')}`,
    none: 'not an image',
  };
  refLines.push(`- Pin: ${pinText[data.pin.state]}; the policy asks for ${code(data.pin.required)}`);
  out.push(...refLines, '');

  // Verdict
  const v = data.verdict;
  if (v) {
    const link = v.ruleId ? ` · [${v.ruleId}](${docsUrl(v.ruleId)})` : '';
    if (v.kind === 'denied') {
      out.push(`Policy: **denied** by ${code(v.entry?.image ?? '?')}${v.entry?.detail ? ` (${v.entry.detail})` : ''}${sourceText(v.entry?.source)}: ${v.reason ?? ''}${v.replacement ? ` Replacement: ${code(v.replacement)}.` : ''}${link}`);
    } else if (v.kind === 'unapproved') {
      out.push(`Policy: **not approved**: no allow entry matches${link}`);
      for (const n of v.near.slice(0, 5)) out.push(`- ${n}`);
    } else if (v.entry) {
      out.push(`Policy: **approved** by ${code(v.entry.image)}${v.entry.detail ? ` (${v.entry.detail})` : ''}${sourceText(v.entry.source)}`);
    } else {
      out.push('Policy: **approved**: no allowlist, and no deny entry matches');
    }
    out.push('');
  }

  // Layers
  if (data.size && data.size.layers.length > 0) {
    const total = data.size.total;
    out.push('| # | size | share | created by |', '|--:|--:|:--|:--|');
    for (const l of data.size.layers) out.push(`| ${l.index} | ${formatBytes(l.size)} | ${sizeBar(l.size, total)} | ${l.createdBy ? cell(code(short(l.createdBy, 80))) : ''} |`);
    out.push('');
  }

  // Labels
  const lb = data.labels;
  const labelLines = [
    lb.source ? `- Source: ${lb.source.startsWith('https://') ? lb.source : code(lb.source)}` : undefined,
    lb.revision ? `- Revision: ${code(lb.revision)}` : undefined,
    lb.version ? `- Version: ${code(lb.version)}` : undefined,
    lb.baseName ? `- Base: ${code(lb.baseName)}${lb.baseDigest ? ` @ ${code(lb.baseDigest)}` : ''}` : undefined,
    ...lb.others.slice(0, 8).map(([k, val]) => `- ${code(k)}: ${code(short(val, 100))}`),
  ].filter((x): x is string => x !== undefined);
  if (lb.others.length > 8) labelLines.push(`- … and ${lb.others.length - 8} more labels`);
  if (labelLines.length > 0) out.push('Labels:', ...labelLines, '');

  // Attestations
  if (data.facts.known) {
    const a = data.attestations;
    out.push(`Attestations: SLSA provenance ${a.provenance ? '**yes**' : 'no'} · SBOM ${a.sbom ? '**yes**' : 'no'}${a.predicateTypes.length > 0 ? ` (${a.predicateTypes.map(code).join(', ')})` : ''}`, '');
  }

  // Where the facts came from
  if (data.facts.error) out.push(`_Registry lookup failed: ${data.facts.error}_`);
  else if (data.facts.known) out.push(`_${data.facts.source === 'engine' ? 'local Docker Engine' : 'registry'}${data.facts.fetchedAt ? `, fetched ${data.facts.fetchedAt}` : ''}${data.facts.fromCache ? ' (cache)' : ''}_`);
  else out.push('_No registry facts for this image._');
  return out.join('\n').trim();
}

// ---------------------------------------------------------------------------------------------------------
// The built image, per instruction

function contains(instr: Instr, p: Position): boolean {
  return comparePositions(instr.range.start, p) <= 0 && comparePositions(p, instr.range.end) <= 0;
}

/**
 * Markdown for a hover on an instruction of the built stage (or a stage it is built FROM): the layer it
 * made, with size and share, or that it made none. Undefined when there is no built image, no facts, the
 * history does not line up (PL513 says so), or the instruction has no history entry.
 */
export function instructionLayer(model: DockerfileModel, position: Position, facts: RegistryFacts | undefined, builtImage: string | undefined): string | undefined {
  const instr = model.instructions.find((i) => contains(i, position));
  if (!instr || instr.keyword === 'FROM') return undefined;
  const built = builtImageMapping(model, facts, builtImage);
  if (!built || built.mapping.status !== 'mapped') return undefined;
  const e = built.mapping.entries.find((x) => x.instr === instr);
  if (!e) return undefined;
  const name = code(built.key);
  if (!e.layer) return `**${instr.keyword}** made no layer in ${name} (history entry ${e.historyIndex + 1}).`;
  const total = built.manifest.totalSize;
  const share = total > 0 ? ` · ${Math.round((e.layer.size / total) * 100)}% of the image` : '';
  const kind = built.manifest.sizeKind === 'uncompressed' ? 'uncompressed' : 'compressed';
  return [
    `**${instr.keyword}** made layer ${e.layer.index} of ${built.mapping.layerCount} of ${name}: **${formatBytes(e.layer.size)}** ${kind}${share}`,
    '',
    `${sizeBar(e.layer.size, total)} ${code(e.layer.digest)}`,
  ].join('\n');
}

export interface LayerHint {
  position: Position;
  label: string;
  tooltip?: string;
}

/**
 * Inlay hints for the built image: the size of each layer at the end of the line of the instruction that
 * made it, and at each FROM of the built stage chain the size that stage adds. Empty unless the history
 * maps cleanly.
 */
export function layerHints(model: DockerfileModel, facts: RegistryFacts | undefined, builtImage: string | undefined): LayerHint[] {
  const built = builtImageMapping(model, facts, builtImage);
  if (!built || built.mapping.status !== 'mapped' || !built.mapping.stage) return [];
  const hints: LayerHint[] = [];
  const endOfLine = (line: number): Position => ({ line, character: model.index.lineLength(line) });
  const byStage = new Map<number, MappedEntry[]>();
  for (const e of built.mapping.entries) {
    const s = e.instr.stage?.index ?? -1;
    byStage.set(s, [...(byStage.get(s) ?? []), e]);
    if (!e.layer) continue;
    hints.push({ position: endOfLine(e.instr.range.start.line), label: formatBytes(e.layer.size), tooltip: `Layer ${e.layer.index} of ${built.mapping.layerCount} of ${built.key}` });
  }
  const chain = stageChain(built.mapping.stage);
  for (const stage of chain) {
    const sum = (byStage.get(stage.index) ?? []).reduce((n, e) => n + (e.layer?.size ?? 0), 0);
    const final = stage === built.mapping.stage;
    const label = final ? `+${formatBytes(sum)} in this stage · image ${formatBytes(built.manifest.totalSize)}` : `+${formatBytes(sum)} in this stage`;
    hints.push({ position: endOfLine(stage.from.range.start.line), label, tooltip: `Layers this stage adds to ${built.key}` });
  }
  return hints.sort((a, b) => comparePositions(a.position, b.position));
}

