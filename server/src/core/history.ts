// Maps a built image's config history back to the Dockerfile instructions that made it, so that a layer can
// be blamed on (and shown at) its RUN or COPY. Pure: model and facts in, mapping out.
//
// Alignment runs from the end (the last instructions are the last history entries) and checks every pair:
// the keyword, the command text of a RUN (whitespace, continuations and the `|N K=V` build-arg prefix
// normalised away), the keys of ENV/ARG/LABEL. It stops at the stage's FROM (following `FROM <stage>` to the
// stage's root). Whatever does not line up is reported as `mismatch` or `ambiguous` with the reason; it is
// never guessed.
//
// What the builders record, one history entry per instruction after the base image's own entries:
// - BuildKit (dockerfile2llb `commitToHistory`, comment `buildkit.dockerfile.v0`): `RUN [|N K=V ...] /bin/sh
//   -c <cmd> # buildkit`, `COPY [--parents] [--chown=..] [--chmod=..] <src>... <dest> # buildkit` (never
//   `--from` or `--link`), `ADD ... # buildkit`, `WORKDIR /abs` (a layer unless `/`), and empty entries
//   `ENV K=V`, `ARG K=V`, `LABEL K=V`, `USER u`, `EXPOSE [..]`, `CMD [..]`, `ENTRYPOINT [..]`, `HEALTHCHECK`,
//   `VOLUME`, `STOPSIGNAL`, `SHELL`, `MAINTAINER`. Nothing for FROM or ONBUILD. A heredoc RUN records its
//   script (`/bin/sh -c <body>`), `/dev/pipes/<name>` for a script with a shebang, or the command line
//   followed by each body and its delimiter. The exporter marks a RUN or COPY that changed nothing as
//   `empty_layer`. The oldest releases recorded no ARG, USER, EXPOSE, VOLUME, STOPSIGNAL or SHELL entries.
// - the classic builder: metadata as `/bin/sh -c #(nop)  ENV K=V`, `/bin/sh -c #(nop) WORKDIR /app`,
//   `/bin/sh -c #(nop) COPY file:<hash> in <dest> `, ONBUILD as `#(nop)  ONBUILD <trigger>`, and RUN as
//   `[|N K=V ...] /bin/sh -c <cmd>` (exec form without the shell).
// So ARG, USER, EXPOSE, VOLUME, STOPSIGNAL, SHELL and ONBUILD may or may not have an entry; they never make
// a layer. ONBUILD triggers inherited from the base run before the stage's own instructions and are not in
// the Dockerfile: with the base's history known they show up as unexplained entries (a note, not an error).
import type { HistoryEntry, ImageConfigFact, ImageFacts, ManifestFact, RegistryFacts } from './facts.ts';
import type { DockerfileModel, Instr, Stage } from './model.ts';
import { normalisedName, parseImageRef } from './imageRef.ts';
import { factsKey, imageFacts, manifestFor } from './registryView.ts';
import type { Policy } from './policy.ts';
import { globMatch } from './glob.ts';

export type MappingStatus = 'mapped' | 'mismatch' | 'ambiguous';
export type HistoryBuilder = 'buildkit' | 'classic' | 'unknown';

export interface MappedLayer {
  digest: string;
  size: number;
  /** 1-based position among all the image's layers (base layers included), as `docker history` counts them. */
  index: number;
}

export interface MappedEntry {
  instr: Instr;
  /** Absent when the entry made no layer (`empty_layer`). */
  layer?: MappedLayer;
  createdBy: string;
  emptyLayer: boolean;
  /** 0-based index into the image's history. */
  historyIndex: number;
  builder: HistoryBuilder;
}

export interface HistoryMapping {
  status: MappingStatus;
  /** Instructions with their history entry, in Dockerfile order; empty unless `mapped`. */
  entries: MappedEntry[];
  /** Leading history entries not attributed to this Dockerfile (the base image's, and any in doubt). */
  baseCount: number;
  /** Layers among those leading entries. */
  baseLayerCount: number;
  /** All layers of the image. */
  layerCount: number;
  /** Why the mapping is not `mapped`, and notes that do not stop it (unexplained entries, a moved base). */
  problems: string[];
  /** The stage the image was built from. */
  stage: Stage | undefined;
}

export interface MapOptions {
  /** The stage that produced the image; the final stage by default. */
  stage?: Stage;
  /** The base image's config, to know which leading history entries are the base's own. */
  base?: ImageConfigFact;
}

export interface ParsedHistory {
  /** Upper-case instruction keyword, when the entry says which one. */
  keyword?: string;
  builder: HistoryBuilder;
  /** What follows the keyword; for RUN the command as recorded (with any `|N K=V` prefix and shell). */
  args: string;
}

const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL',
  'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
/** Instructions that can make a layer. */
const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);
/** Recorded by every builder that records history. */
const REQUIRED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR', 'ENV', 'LABEL', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'MAINTAINER']);
/** Recorded by some builders or versions only (see the header). */
const OPTIONAL = new Set(['ARG', 'USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'SHELL', 'ONBUILD']);
const BUILDKIT_COMMENT = 'buildkit.dockerfile.v0';

/** Reads one `created_by`: which instruction made it and in which builder's shape. */
export function parseCreatedBy(createdBy: string | undefined, comment?: string): ParsedHistory {
  const text = (createdBy ?? '').trim();
  if (text === '') return { builder: 'unknown', args: '' };
  const lead = /^([A-Z]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (lead && KEYWORDS.has(lead[1]!)) {
    const args = (lead[2] ?? '').replace(/\s*# buildkit$/, '');
    const buildkit = comment === BUILDKIT_COMMENT || / # buildkit$/.test(text) || lead[1] !== 'RUN';
    return { keyword: lead[1]!, builder: buildkit ? 'buildkit' : 'unknown', args };
  }
  const nop = /#\(nop\)\s+([A-Z]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (nop && KEYWORDS.has(nop[1]!)) return { keyword: nop[1]!, builder: 'classic', args: (nop[2] ?? '').trim() };
  // The classic builder records a RUN as the command line itself.
  return { keyword: 'RUN', builder: 'classic', args: text };
}

/** The stages an image built from `stage` contains, root first (`FROM build AS final` includes `build`). */
export function stageChain(stage: Stage): Stage[] {
  const chain: Stage[] = [stage];
  let cur = stage.image.stageRef;
  while (cur && !chain.includes(cur) && chain.length < 64) {
    chain.unshift(cur);
    cur = cur.image.stageRef;
  }
  return chain;
}

export function mapHistory(model: DockerfileModel, image: ManifestFact, options: MapOptions = {}): HistoryMapping {
  const stage = options.stage ?? model.stages.at(-1);
  const history = image.config?.history ?? [];
  const result: HistoryMapping = { status: 'mapped', entries: [], baseCount: 0, baseLayerCount: 0, layerCount: image.layers.length, problems: [], stage };
  const fail = (status: 'mismatch' | 'ambiguous', problem: string): HistoryMapping => ({ ...result, status, entries: [], baseCount: 0, baseLayerCount: 0, problems: [...result.problems, problem] });
  if (!stage) return fail('ambiguous', 'the Dockerfile has no FROM, so no stage was built');
  if (history.length === 0) return fail('ambiguous', 'the built image records no build history');
  const withLayer = history.filter((h) => !h.emptyLayer).length;
  if (withLayer !== image.layers.length) {
    return fail('mismatch', `the image history lists ${withLayer} layer${withLayer === 1 ? '' : 's'} but the manifest has ${image.layers.length}`);
  }
  const layerIndex: Array<number | undefined> = [];
  let n = 0;
  for (const h of history) layerIndex.push(h.emptyLayer ? undefined : n++);

  const chain = stageChain(stage);
  const root = chain[0]!;
  const instrs = chain.flatMap((s) => s.instructions.slice(1));

  // Which leading entries are the base image's: exactly known for scratch, or when the base's own history is
  // a prefix of the built image's. Otherwise whatever precedes the stage's first instruction.
  let lower: number | undefined;
  if (root.image.scratch) lower = 0;
  else if (options.base && options.base.history.length > 0) {
    const b = options.base.history;
    if (b.length <= history.length && b.every((h, k) => sameEntry(h, history[k]!))) lower = b.length;
    else result.problems.push(`the base image's history (${b.length} entries) is not the start of the built image's history; the base tag has probably moved since the build`);
  }

  const parsed = history.map((h) => parseCreatedBy(h.createdBy, h.comment));
  const pairs: Array<{ instr: Instr; k: number }> = [];
  const floor = lower ?? 0;
  let j = history.length - 1;
  for (let i = instrs.length - 1; i >= 0; i--) {
    const ins = instrs[i]!;
    const need = REQUIRED.has(ins.keyword) ? 'required' : OPTIONAL.has(ins.keyword) ? 'optional' : 'none';
    if (need === 'none') continue;
    if (j < floor) {
      if (need === 'optional') continue;
      const rest = lower !== undefined && lower > 0 ? 'the earlier entries are the base image\'s' : 'the history is too short';
      return fail('mismatch', `${where(ins)} has no history entry left (${rest})`);
    }
    const e = parsed[j]!;
    if (e.keyword === undefined) return fail('ambiguous', `history entry ${j + 1} does not say which instruction made it, so ${where(ins)} cannot be matched`);
    const why = mismatchReason(ins, e, history[j]!, j);
    if (!why) {
      pairs.push({ instr: ins, k: j });
      j--;
      continue;
    }
    if (need === 'optional') continue;
    return fail('mismatch', `${where(ins)}: ${why}`);
  }
  pairs.reverse();

  if (lower !== undefined) {
    if (j >= lower) {
      const count = j - lower + 1;
      const first = pairs[0]?.instr;
      result.problems.push(
        `${count} history entr${count === 1 ? 'y' : 'ies'} between the base image and ${first ? where(first) : 'the end'} ${count === 1 ? 'is' : 'are'} not explained by this Dockerfile (ONBUILD triggers of the base image?)`,
      );
    }
    result.baseCount = lower;
  } else {
    // Without the base's history, an optional entry right after the base could be the base's own: leave it unclaimed.
    while (pairs.length > 0 && OPTIONAL.has(pairs[0]!.instr.keyword)) {
      const p = pairs.shift()!;
      result.problems.push(`history entry ${p.k + 1} could be ${where(p.instr)} or the base image's own; left unmapped`);
    }
    result.baseCount = pairs[0]?.k ?? j + 1;
  }
  result.baseLayerCount = layerIndex.slice(0, result.baseCount).filter((x) => x !== undefined).length;
  result.entries = pairs.map(({ instr, k }) => {
    const h = history[k]!;
    const entry: MappedEntry = { instr, createdBy: h.createdBy ?? '', emptyLayer: h.emptyLayer, historyIndex: k, builder: parsed[k]!.builder };
    const li = layerIndex[k];
    const layer = li !== undefined ? image.layers[li] : undefined;
    if (li !== undefined && layer) entry.layer = { digest: layer.digest, size: layer.size, index: li + 1 };
    return entry;
  });
  return result;
}

function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return (a.createdBy ?? '') === (b.createdBy ?? '') && a.emptyLayer === b.emptyLayer;
}

function where(ins: Instr): string {
  return `${ins.keyword} on line ${ins.range.start.line + 1}`;
}

function summary(h: HistoryEntry): string {
  const t = (h.createdBy ?? '').replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

function mismatchReason(ins: Instr, e: ParsedHistory, h: HistoryEntry, k: number): string | undefined {
  const entry = `history entry ${k + 1} (\`${summary(h)}\`)`;
  if (e.keyword !== ins.keyword) return `${entry} was made by ${e.keyword}`;
  if (!h.emptyLayer && !LAYER_KEYWORDS.has(ins.keyword)) return `${entry} has a layer, which ${ins.keyword} never makes`;
  if (ins.keyword === 'RUN' && !runMatches(ins, e.args)) return `${entry} records a different command`;
  if (ins.keyword === 'ENV' || ins.keyword === 'ARG' || ins.keyword === 'LABEL') {
    const keys = new Set(e.args.split(/\s+/).map((t) => unquote(t.split('=')[0] ?? '')));
    const missing = ins.properties.map((p) => unquote(p.name)).filter((name) => !keys.has(name));
    if (missing.length > 0) return `${entry} does not set ${missing.join(', ')}`;
  }
  return undefined;
}

function unquote(s: string): string {
  return s.replace(/^(["'])(.*)\1$/, '$2');
}

/** Whitespace (including escaped newlines) collapsed, as history comparisons need. */
export function normaliseCommand(s: string): string {
  return s.replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The texts a builder may have recorded for this RUN's command, normalised. */
function runCandidates(ins: Instr): string[] {
  const out: string[] = [];
  const exec = execForm(ins.logical);
  out.push(exec ? exec.join(' ') : ins.logical);
  const first = ins.heredocs[0];
  if (first) {
    out.push(first.content, `/dev/pipes/${first.name}`);
    out.push([ins.logical, ...ins.heredocs.map((h) => `${h.content}\n${h.name}`)].join('\n'));
  }
  return out.map(normaliseCommand).filter((c) => c !== '');
}

function execForm(logical: string): string[] | undefined {
  const t = logical.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

// A shell prefix ends with the flag that takes the command: `sh -c`, `cmd /S /C`, `powershell -Command`.
const SHELL_END = /(?:^|\s)(?:-c|\/c|-command)$/i;

/**
 * The recorded command is `[|N K=V ...] [shell...] <command>`: the command must be the end of it, and what
 * precedes it a shell invocation, or (exec form with build args) only `K=V` pairs.
 */
function runMatches(ins: Instr, recorded: string): boolean {
  let r = normaliseCommand(recorded);
  const args = /^\|(\d+)(?: |$)/.exec(r);
  if (args) r = r.slice(args[0].length);
  for (const c of runCandidates(ins)) {
    if (r === c) return true;
    if (!r.endsWith(` ${c}`)) continue;
    const before = r.slice(0, r.length - c.length - 1);
    if (SHELL_END.test(before)) return true;
    if (args && Number(args[1]) > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(before)) return true;
  }
  return false;
}

/** The facts key of a built image as written in `--image` or `policy.builds` (`registry/repo:tag`). */
export function builtImageKey(ref: string): string | undefined {
  const r = parseImageRef(ref);
  return r ? normalisedName(r) : undefined;
}

export interface BuiltImage {
  key: string;
  facts: ImageFacts;
  /** The platform manifest whose history was mapped. */
  manifest: ManifestFact;
  /** The base image's config for the same platform, when known. */
  base?: ImageConfigFact;
  mapping: HistoryMapping;
}

/**
 * The built image's mapping from registry facts: undefined when the facts (or the image's config) are
 * missing, so callers stay silent rather than guess. The platform is the stage root's constant
 * `--platform`, else linux/amd64, else the first one.
 */
export function builtImageMapping(model: DockerfileModel, facts: RegistryFacts | undefined, builtImage: string | undefined, stage?: Stage): BuiltImage | undefined {
  if (!builtImage) return undefined;
  const key = builtImageKey(builtImage);
  const target = stage ?? model.stages.at(-1);
  if (!key || !target) return undefined;
  const f = imageFacts(facts, key);
  const root = stageChain(target)[0]!;
  const manifest = f ? manifestFor(root.image, f) : undefined;
  if (!f || !manifest?.config) return undefined;
  let base: ImageConfigFact | undefined;
  if (root.image.ref && !root.image.stageRef && !root.image.scratch) {
    const bf = imageFacts(facts, factsKey(root.image.ref));
    base = bf ? manifestFor(root.image, bf)?.config : undefined;
  }
  const mapping = mapHistory(model, manifest, { stage: target, ...(base ? { base } : {}) });
  return { key, facts: f, manifest, ...(base ? { base } : {}), mapping };
}

/**
 * The image `policy.builds` says this Dockerfile is built into: the first entry whose `dockerfile` glob
 * matches the file's path relative to the folder of the policy file that declared the entry (or, without
 * an absolute path or a source, relative to the policy root). Undefined when none matches.
 */
export function builtImageFor(policy: Policy, file: string, absolutePath?: string): string | undefined {
  for (const b of policy.builds ?? []) {
    const rel = relativeTo(b.source?.file, absolutePath) ?? file;
    if (globMatch(b.dockerfile, rel.replace(/^(?:\.\/)+/, ''))) return b.image;
  }
  return undefined;
}

function relativeTo(policyFile: string | undefined, absolutePath: string | undefined): string | undefined {
  if (!policyFile || !absolutePath) return undefined;
  const slash = (s: string) => s.replace(/\\/g, '/');
  const dir = slash(policyFile).replace(/\/[^/]*$/, '');
  const path = slash(absolutePath);
  return path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
}
