// A Dockerfile as the rules see it: stages, ARG scopes, resolved image references, flags and heredocs.
// Built once per lint from dockerfile-ast's tree; rules read it and never parse again.
import { Instruction, ModifiableInstruction, type From, type Flag, type Property } from 'dockerfile-ast';
import type { Position, Range } from './types.ts';
import { parseDocument, shiftRange, type IncrementalParser, type ParsedNode } from './reparse.ts';
import { parseImageRef, type ImageRef } from './imageRef.ts';
import { expand, AUTOMATIC_ARGS, type Lookup } from './vars.ts';
import { TextIndex } from './text.ts';

export interface FlagOptionModel {
  value: string | null;
  range: Range;
  valueRange: Range | null;
}

export interface FlagModel {
  name: string;
  value: string | null;
  range: Range;
  valueRange: Range | null;
  options: Map<string, FlagOptionModel>;
}

export interface HeredocModel {
  name: string;
  contentRange: Range | null;
  content: string;
}

export interface PropertyModel {
  name: string;
  nameRange: Range;
  value: string | null;
  valueRange: Range | null;
}

export interface ArgumentModel {
  value: string;
  range: Range;
}

export interface Instr {
  index: number;
  /** Upper-case keyword (`RUN`); for `ONBUILD RUN` it is `ONBUILD`. */
  keyword: string;
  range: Range;
  keywordRange: Range;
  /** The stage this instruction belongs to; undefined for global ARGs before the first FROM. */
  stage: Stage | undefined;
  flags: FlagModel[];
  heredocs: HeredocModel[];
  /** ENV/ARG/LABEL key-value pairs. */
  properties: PropertyModel[];
  /** Raw source of the whole instruction, heredoc bodies included. */
  text: string;
  /** Arguments with line continuations joined (what the shell sees), heredoc bodies excluded. */
  logical: string;
  /** dockerfile-ast's arguments (after the flags of COPY, ADD, RUN and the like; heredoc bodies included). */
  args: ArgumentModel[];
  /** From the first argument to the last, or null when there is none. */
  argumentsRange: Range | null;
  /** Views that several rules derive from this instruction; read and written through `memo()` only. */
  derived?: Map<symbol, unknown> | undefined;
  /** Views of the instruction alone, kept across edits elsewhere; read and written through `memoLocal()` only. */
  kept?: Map<symbol, unknown> | undefined;
  /** Document offsets to a range, in the version of the document this instruction is now part of. */
  rangeOf(startOffset: number, endOffset: number): Range;
  /** A position to its document offset, likewise (for memoLocal views, which must not hold the model). */
  offsetAt(position: Position): number;
}

/**
 * A view derived from one instruction, computed once per model and shared by the rules that ask for it.
 * It is kept on the instruction, not in a module-level WeakMap keyed by it: V8's scavenger keeps the values
 * of such ephemeron tables alive, and these values point back at the model, so every minor GC copied and
 * promoted whole models (a 52-line file's edits spent ten times longer in GC).
 */
export function memo<T>(instr: Instr, key: symbol, compute: () => T): T {
  return remember((instr.derived ??= new Map()), key, compute);
}

/**
 * memo() for a view computed only from the instruction's own text, its place in the document and the
 * document's escape character. The IncrementalParser hands an instruction on to the next version of the
 * document only when all three are unchanged, so such a view survives edits elsewhere (a RUN's shell split
 * is not redone on every keystroke in a 10,000-line file). It must not hold the model, which would keep
 * every earlier version alive: ranges go through `instr.rangeOf`.
 */
export function memoLocal<T>(instr: Instr, key: symbol, compute: () => T): T {
  return remember((instr.kept ??= new Map()), key, compute);
}

function remember<T>(views: Map<symbol, unknown>, key: symbol, compute: () => T): T {
  const hit = views.get(key);
  if (hit !== undefined || views.has(key)) return hit as T;
  const value = compute();
  views.set(key, value);
  return value;
}

export interface ArgSource {
  /** The ARG instruction whose default supplies the value. */
  instr: Instr;
  name: string;
  value: string;
  valueRange: Range;
}

export type ImageUseKind = 'from' | 'copy-from' | 'mount-from';

export interface ImageUse {
  kind: ImageUseKind;
  instr: Instr;
  stage: Stage | undefined;
  /** The reference as written, before ARG substitution. */
  written: string;
  range: Range;
  resolved: string;
  ref?: ImageRef;
  /** Set when this use names an earlier stage instead of an image. */
  stageRef?: Stage;
  scratch: boolean;
  /** Variables without a value, so the reference cannot be judged. */
  unresolved: string[];
  /** When the whole reference is one ARG with a default written in this file, fixes edit that default. */
  argSource?: ArgSource;
  /**
   * The resolved reference would show a secret (built from a secret-named ARG, or holding a literal token):
   * it is not parsed, so no rule judges it or prints it (lint() sets this; PL903 says so).
   */
  hidesSecret?: boolean;
  platform?: string;
}

export interface Stage {
  index: number;
  /** Lower-cased, as Docker compares them. */
  name?: string;
  nameRange?: Range;
  from: Instr;
  image: ImageUse;
  instructions: Instr[];
  isFinal: boolean;
  /** Variables visible at the end of the stage (ARG and ENV); values may be null when unset. */
  vars: Map<string, string | null>;
}

export interface Directive {
  name: string;
  value: string;
  range: Range;
}

export interface DockerfileModel {
  text: string;
  index: TextIndex;
  escapeChar: string;
  directives: Directive[];
  globalArgs: Instr[];
  instructions: Instr[];
  stages: Stage[];
  images: ImageUse[];
  comments: Array<{ line: number; text: string; range: Range }>;
  /** Parts of over-long lines that were blanked before parsing (see MAX_LINE_CHARS); rules saw spaces there. */
  elided: Array<{ line: number; from: number; length: number }>;
}

/** Lines longer than this are checked up to KEEP_LINE_CHARS; the rest is blanked, and PL904 says so. */
export const MAX_LINE_CHARS = 65_536;
export const KEEP_LINE_CHARS = 8_192;

/**
 * Blanks the tail of over-long lines with spaces (same length, so every position stays valid in the real
 * document). A 2 MB single line would otherwise cost hundreds of MB of parser objects.
 */
function elideLongLines(text: string): { text: string; elided: DockerfileModel['elided'] } {
  const elided: DockerfileModel['elided'] = [];
  if (text.length <= MAX_LINE_CHARS) return { text, elided };
  let out = '';
  let last = 0;
  let line = 0;
  let start = 0;
  // Line breaks as TextIndex counts them: `\n`, `\r\n`, or a lone `\r`.
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 10;
    if (c !== 10 && c !== 13) continue;
    if (i - start > MAX_LINE_CHARS) {
      const from = start + KEEP_LINE_CHARS;
      out += text.slice(last, from) + ' '.repeat(i - from);
      last = i;
      elided.push({ line, from: KEEP_LINE_CHARS, length: i - from });
    }
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    line++;
    start = i + 1;
  }
  if (elided.length === 0) return { text, elided };
  return { text: out + text.slice(last), elided };
}

export interface ModelOptions {
  buildArgs?: Record<string, string>;
  /** The editor's parser for this document, which re-parses only what changed since its last version. */
  parser?: IncrementalParser;
}

export function buildModel(original: string, options: ModelOptions = {}): DockerfileModel {
  const buildArgs = options.buildArgs ?? {};
  const { text: parsed, elided } = elideLongLines(original);
  const text = parsed;
  const index = new TextIndex(text);
  const ast = options.parser ? options.parser.parse(text, index) : parseDocument(text);
  const escapeChar = ast.escapeChar;
  const model: DockerfileModel = {
    text,
    index,
    elided,
    escapeChar,
    directives: [...ast.directives],
    globalArgs: [],
    instructions: [],
    stages: [],
    images: [],
    comments: ast.comments,
  };
  // `# check=` is a BuildKit directive dockerfile-ast does not know; read it from the leading comments.
  for (const m of leadingDirectives(text)) if (!model.directives.some((d) => d.name === m.name)) model.directives.push(m);

  const globalVars = new Map<string, { value: string | null; source?: ArgSource }>();
  let stage: Stage | undefined;
  let stageVars = new Map<string, { value: string | null; source?: ArgSource }>();
  // A stage's variables are copied out once, when the stage ends, not after every instruction.
  const finishStage = () => {
    if (stage) for (const [k, v] of stageVars) stage.vars.set(k, v.value);
  };
  const nodes = ast.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const parsed = nodes[i]!;
    const { node, shift } = parsed;
    // An instruction whose text and place did not change since the last version keeps its views.
    const instr = parsed.view instanceof LazyInstr ? parsed.view.reuse(i, index) : (parsed.view = makeInstr(parsed, i, index));
    model.instructions.push(instr);
    if (instr.keyword === 'FROM') {
      finishStage();
      const lookup = varLookup(globalVars, buildArgs, true);
      const use = fromImage(node as From, shift, instr, lookup, globalVars, model.stages, index);
      stage = {
        index: model.stages.length,
        from: instr,
        image: use,
        instructions: [instr],
        isFinal: false,
        vars: new Map(),
      };
      const name = (node as From).getBuildStage();
      const nameRange = (node as From).getBuildStageRange();
      if (name) stage.name = name.toLowerCase();
      if (nameRange) stage.nameRange = shiftRange(nameRange, shift);
      use.stage = stage;
      instr.stage = stage;
      model.stages.push(stage);
      model.images.push(use);
      stageVars = new Map();
      continue;
    }
    instr.stage = stage;
    if (!stage) {
      if (instr.keyword === 'ARG') {
        model.globalArgs.push(instr);
        declareArgs(instr, globalVars, globalVars, buildArgs, true);
      }
      continue;
    }
    stage.instructions.push(instr);
    if (instr.keyword === 'ARG') declareArgs(instr, stageVars, globalVars, buildArgs, false);
    else if (instr.keyword === 'ENV') {
      const lookup = varLookup(stageVars, buildArgs, false);
      for (const p of instr.properties) stageVars.set(p.name, { value: expand(p.value ?? '', lookup, escapeChar).value });
    }
    // Only COPY, ADD (`--from`) and RUN (`--mount=from=`) name images in flags.
    const k = instr.keyword;
    if (k === 'COPY' || k === 'ADD' || k === 'RUN') {
      for (const use of flagImages(instr, varLookup(stageVars, buildArgs, false), stageVars, model.stages, stage)) model.images.push(use);
    }
  }
  finishStage();
  const last = model.stages.at(-1);
  if (last) last.isFinal = true;
  return model;
}

function varLookup(
  vars: Map<string, { value: string | null }>,
  buildArgs: Record<string, string>,
  global: boolean,
): Lookup {
  return (name) => {
    const v = vars.get(name);
    if (v) return v.value;
    if (global && AUTOMATIC_ARGS.has(name)) return buildArgs[name] ?? null;
    return undefined;
  };
}

function declareArgs(
  instr: Instr,
  scope: Map<string, { value: string | null; source?: ArgSource }>,
  globals: Map<string, { value: string | null; source?: ArgSource }>,
  buildArgs: Record<string, string>,
  isGlobal: boolean,
): void {
  const lookup = varLookup(scope, buildArgs, isGlobal);
  for (const p of instr.properties) {
    const given = buildArgs[p.name];
    if (given !== undefined) {
      scope.set(p.name, { value: given });
    } else if (p.value !== null && p.valueRange) {
      const value = expand(p.value, lookup).value;
      scope.set(p.name, { value, source: { instr, name: p.name, value: p.value, valueRange: p.valueRange } });
    } else {
      // `ARG X` inside a stage re-imports the global default.
      const inherited = isGlobal ? undefined : globals.get(p.name);
      scope.set(p.name, inherited ?? { value: null });
    }
  }
}

function fromImage(
  node: From,
  shift: number,
  instr: Instr,
  lookup: Lookup,
  vars: Map<string, { value: string | null; source?: ArgSource }>,
  stages: Stage[],
  index: TextIndex,
): ImageUse {
  const image = node.getImageRange();
  const range = image ? shiftRange(image, shift) : instr.keywordRange;
  const written = image ? index.slice(range) : '';
  const platformFlag = node.getPlatformFlag();
  const use = resolveUse('from', instr, undefined, written, range, lookup, vars, stages);
  const platform = platformFlag?.getValue();
  if (platform) use.platform = expand(platform, lookup).value;
  return use;
}

function resolveUse(
  kind: ImageUseKind,
  instr: Instr,
  stage: Stage | undefined,
  written: string,
  range: Range,
  lookup: Lookup,
  vars: Map<string, { value: string | null; source?: ArgSource }>,
  stages: Stage[],
): ImageUse {
  const e = expand(written, lookup);
  const resolved = e.value;
  const use: ImageUse = { kind, instr, stage, written, range, resolved, scratch: false, unresolved: e.unresolved };
  const only = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(written);
  if (only) {
    const src = vars.get(only[1]!)?.source;
    if (src) use.argSource = src;
  }
  if (e.unresolved.length > 0 || resolved === '') return use;
  const lower = resolved.toLowerCase();
  if (lower === 'scratch' && kind === 'from') {
    use.scratch = true;
    return use;
  }
  const stageRef = stages.find((s) => s.name === lower) ?? (kind !== 'from' && /^\d+$/.test(resolved) ? stages[Number(resolved)] : undefined);
  if (stageRef) {
    use.stageRef = stageRef;
    return use;
  }
  const ref = parseImageRef(resolved);
  if (ref) use.ref = ref;
  return use;
}

function flagImages(
  instr: Instr,
  lookup: Lookup,
  vars: Map<string, { value: string | null; source?: ArgSource }>,
  stages: Stage[],
  stage: Stage,
): ImageUse[] {
  const uses: ImageUse[] = [];
  if (instr.flags.length === 0) return uses;
  const earlier = stages.filter((s) => s !== stage);
  for (const f of instr.flags) {
    if (f.name === 'from' && (instr.keyword === 'COPY' || instr.keyword === 'ADD') && f.value && f.valueRange) {
      uses.push(resolveUse('copy-from', instr, stage, f.value, f.valueRange, lookup, vars, earlier));
    }
    if (f.name === 'mount' && instr.keyword === 'RUN') {
      const from = f.options.get('from');
      if (from?.value && from.valueRange) uses.push(resolveUse('mount-from', instr, stage, from.value, from.valueRange, lookup, vars, earlier));
    }
  }
  return uses;
}

/**
 * dockerfile-ast re-scans an instruction's text on every getArguments() (the parser itself, getFlags,
 * getHeredocs and getArgumentsContent all call it). The text never changes once parsed, so the first scan is
 * kept per instruction, from the parser's own call on, and shared: ModifiableInstruction.getArguments(),
 * the one place that mutated the array (shift()ing flags off it), is replaced by a version that slices.
 */
function memoiseArgumentScans(): void {
  const proto = Instruction.prototype as unknown as { getRawArguments: () => unknown[] };
  const original = proto.getRawArguments;
  if ((original as { memoised?: boolean }).memoised) return;
  // A symbol-keyed slot on the instruction: cheaper than a WeakMap lookup on this hot path.
  const slot = Symbol('plimsoll.arguments');
  const memoised = function (this: Record<symbol, unknown[] | undefined>): unknown[] {
    let args = this[slot];
    if (!args) {
      args = original.call(this);
      this[slot] = args;
    }
    return args;
  };
  (memoised as { memoised?: boolean }).memoised = true;
  proto.getRawArguments = memoised;
  const modifiable = ModifiableInstruction.prototype as unknown as { getArguments: () => unknown[]; getFlags: () => unknown[] };
  const base = Instruction.prototype as unknown as { getArguments: () => unknown[] };
  modifiable.getArguments = function (this: typeof modifiable): unknown[] {
    const args = base.getArguments.call(this);
    const flags = this.getFlags().length;
    return flags === 0 ? args : args.slice(flags);
  };
}
memoiseArgumentScans();

type AstNode = Instruction & {
  getFlags?: () => Flag[];
  getHeredocs?: () => ReturnType<NonNullable<Instruction['getHeredocs']>>;
  getProperties?: () => Property[];
};

/**
 * An instruction whose derived views (flags, heredocs, properties, joined text) are computed on first use:
 * most rules look at a few keywords only, and dockerfile-ast's accessors are not free.
 */
class LazyInstr implements Instr {
  stage: Stage | undefined = undefined;
  derived: Map<symbol, unknown> | undefined = undefined;
  kept: Map<symbol, unknown> | undefined = undefined;
  readonly range: Range;
  readonly keywordRange: Range;
  private cache: {
    flags?: FlagModel[];
    heredocs?: HeredocModel[];
    properties?: PropertyModel[];
    text?: string;
    logical?: string;
    args?: ArgumentModel[];
    argumentsRange?: Range | null;
  } = {};

  constructor(
    public index: number,
    readonly keyword: string,
    private readonly node: AstNode,
    /** Lines to add to every range dockerfile-ast gives for this node (it may come from a chunk's parse). */
    private readonly shift: number,
    private doc: TextIndex,
  ) {
    this.range = shiftRange(node.getRange(), shift);
    this.keywordRange = shiftRange(node.getInstructionRange(), shift);
  }

  /**
   * The same instruction, at the same place, in a new version of the document: its own views (text, flags,
   * properties..., memoLocal's) still hold; what depends on the rest of the model (stage, memo's) is computed again.
   */
  reuse(index: number, doc: TextIndex): this {
    this.index = index;
    this.doc = doc;
    this.stage = undefined;
    this.derived = undefined;
    return this;
  }

  rangeOf(startOffset: number, endOffset: number): Range {
    return this.doc.rangeOf(startOffset, endOffset);
  }

  offsetAt(position: Position): number {
    return this.doc.offsetAt(position);
  }

  private at(r: Range): Range;
  private at(r: Range | null): Range | null;
  private at(r: Range | null): Range | null {
    return r && shiftRange(r, this.shift);
  }

  get args(): ArgumentModel[] {
    return (this.cache.args ??= this.node.getArguments().map((a) => ({ value: a.getValue(), range: this.at(a.getRange()) })));
  }

  get argumentsRange(): Range | null {
    if (this.cache.argumentsRange === undefined) this.cache.argumentsRange = this.at(this.node.getArgumentsRange());
    return this.cache.argumentsRange;
  }

  get text(): string {
    return (this.cache.text ??= this.doc.slice(this.range));
  }

  get flags(): FlagModel[] {
    return (this.cache.flags ??= (this.node.getFlags?.() ?? []).map((f) => {
      const options = new Map<string, FlagOptionModel>();
      for (const o of f.getOptions()) options.set(o.getName().toLowerCase(), { value: o.getValue(), range: this.at(o.getRange()), valueRange: this.at(o.getValueRange()) });
      return { name: f.getName().toLowerCase(), value: f.getValue(), range: this.at(f.getRange()), valueRange: this.at(f.getValueRange()), options };
    }));
  }

  get heredocs(): HeredocModel[] {
    if (this.cache.heredocs) return this.cache.heredocs;
    // A heredoc needs `<<` in the instruction; most have none, and the scan for them is costly.
    const found = this.text.includes('<<') ? (this.node.getHeredocs?.() ?? []) : [];
    return (this.cache.heredocs = found.map((h) => {
      const contentRange = this.at(h.getContentRange());
      return { name: h.getName(), contentRange, content: contentRange ? this.doc.slice(contentRange) : '' };
    }));
  }

  get properties(): PropertyModel[] {
    if (this.cache.properties) return this.cache.properties;
    const k = this.keyword;
    const props = k === 'ENV' || k === 'ARG' || k === 'LABEL' ? (this.node.getProperties?.() ?? []) : [];
    return (this.cache.properties = props.map((p) => ({ name: p.getName(), nameRange: this.at(p.getNameRange()), value: p.getValue(), valueRange: this.at(p.getValueRange()) })));
  }

  get logical(): string {
    if (this.cache.logical !== undefined) return this.cache.logical;
    let logical = this.node.getArgumentsContent() ?? '';
    if (this.heredocs.length > 0) logical = logical.split('\n')[0] ?? '';
    return (this.cache.logical = logical);
  }
}

function makeInstr({ node, shift }: ParsedNode, i: number, index: TextIndex): Instr {
  return new LazyInstr(i, node.getKeyword().toUpperCase(), node as AstNode, shift, index);
}

function leadingDirectives(text: string): Directive[] {
  const out: Directive[] = [];
  const lines = text.split('\n', 20);
  for (let line = 0; line < lines.length; line++) {
    const m = /^(\s*#\s*)([a-zA-Z]+)(\s*=\s*)(.*?)\s*$/.exec(lines[line]!);
    if (!m) break;
    const start = m[1]!.length;
    out.push({ name: m[2]!.toLowerCase(), value: m[4]!, range: { start: { line, character: start }, end: { line, character: lines[line]!.replace(/\s+$/, '').length } } });
  }
  return out;
}
