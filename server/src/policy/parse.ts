// Parses one `.plimsoll.yaml` into a PolicyOverlay, with an error at the exact place of every mistake.
// Pure: text in, data out. Invariants:
// - never throws and never hangs: oversized, binary and pathologically nested input is refused up
//   front, alias expansion is budgeted, and the error list is capped;
// - a partly broken file still yields everything that is valid. An entry (allow, deny,
//   replacement, pattern, waiver, build) with an error in it is dropped as a whole, because a
//   half-understood entry could approve, waive or map more than its author meant; its siblings
//   and other sections are kept.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type YAMLMap,
} from 'yaml';
import { semver } from '../core/semver.ts';
import { normaliseRepositoryPattern, parseImageRef } from '../core/imageRef.ts';
import type {
  BuildMapping,
  DeniedImage,
  ImageMatcher,
  PinLevel,
  PolicySource,
  Replacement,
  RuleSetting,
  SecretPattern,
  SizeBudgets,
  Waiver,
} from '../core/policy.ts';
import {
  LOCK_RULE_RE,
  LOCK_SECTIONS,
  LOCKABLE,
  MAX_POLICY_CHARS,
  PIN_BUMPS,
  PIN_LEVELS,
  PIN_SCOPES,
  POLICY_KEYS,
  RULE_ID_RE,
  RULE_LEVELS,
  TAG_PRECISIONS,
  type KeyContext,
} from './keys.ts';
import { parseSize } from './sizes.ts';
import { integrityProblem, policyUrlProblem } from './integrity.ts';
import { closest } from './suggest.ts';
import type {
  PolicyDocument,
  PolicyError,
  PolicyErrorCode,
  PolicyOverlay,
  PolicyReference,
  SourceSpan,
} from './types.ts';

/** Deeper nesting is refused before YAML parsing (the YAML composer recurses). */
const MAX_NESTING = 200;
const MAX_REPORTED = 200;
/** Nodes visited, aliases included: bounds "billion laughs" expansion. */
const MAX_VISITS = 200_000;

const TAG_GLOB_RE = /^[\w.*?-]+$/;
const VARIANT_RE = /^[\w.-]*$/;
const HOST_GLOB_RE = /^[A-Za-z0-9.*?:[\]-]+$/;
const REPO_PART_RE = /^[a-z0-9._*?-]+$/;
const PATTERN_ID_RE = /^[A-Za-z0-9][\w.-]*$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Lists whose single items a lock may refuse (see locks.ts); their positions are kept per item. */
const ITEM_SOURCE_PATHS = new Set(['registries.trusted', 'secrets.allowedNames', 'secrets.sensitiveFiles']);

type YNode = NonNullable<ReturnType<Alias['resolve']>>;

interface Field {
  name: string;
  key: YNode;
  /** Null when the key has no value (`reason:`). */
  value: YNode | null;
  path: string;
}

class BudgetExceeded extends Error {}

/**
 * Parses and validates one policy file. `file` is only used to label errors and sources.
 * With `knownRuleIds`, rule ids that are well formed but unknown get a warning.
 */
export function parsePolicyText(
  text: string,
  file: string,
  knownRuleIds?: ReadonlySet<string>,
): { policy?: PolicyDocument; errors: PolicyError[] } {
  const whole = (code: PolicyErrorCode, message: string, line = 1, column = 1): { errors: PolicyError[] } => ({
    errors: [{ file, line, column, message, severity: 'error', code }],
  });
  if (text.length > MAX_POLICY_CHARS) {
    return whole('too-large', `The policy file is too large (${text.length} characters; the limit is ${MAX_POLICY_CHARS}).`);
  }
  if (text.includes('\0')) return whole('binary', 'The policy file is binary (it contains NUL bytes), not YAML text.');
  const tooDeep = findExcessiveNesting(text);
  if (tooDeep !== undefined) {
    const before = text.slice(0, tooDeep);
    const line = before.split('\n').length;
    const column = tooDeep - before.lastIndexOf('\n');
    return whole('too-deep', `The policy file nests more than ${MAX_NESTING} levels deep.`, line, column);
  }
  const walker = new Walker(text, file, knownRuleIds);
  try {
    return walker.run();
  } catch (e) {
    if (e instanceof BudgetExceeded) {
      walker.report(null, 'error', 'too-complex', 'The policy file expands too far (aliases that refer to aliases); simplify it.');
    } else {
      walker.report(null, 'error', 'internal', `Internal error while reading the policy: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { errors: walker.finishErrors() };
  }
}

/** Offset where bracket depth plus leading indentation first exceeds the limit, if it does. */
function findExcessiveNesting(text: string): number | undefined {
  let flow = 0;
  let lead = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      atLineStart = true;
      lead = 0;
      continue;
    }
    // Block nesting needs at least one column of indentation or `- `/`? ` per level.
    if (atLineStart) {
      if (c === 32 || c === 9 || c === 45 || c === 63) lead++;
      else atLineStart = false;
    }
    if (c === 91 || c === 123) flow++;
    else if ((c === 93 || c === 125) && flow > 0) flow--;
    if (flow + lead > MAX_NESTING) return i;
  }
  return undefined;
}

function describe(node: YNode | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    if (typeof v === 'boolean') return `${String(v)} (a boolean)`;
    if (typeof v === 'number') return `${String(v)} (a number)`;
    if (typeof v === 'string') return `"${v}"`;
    if (v instanceof Date) return 'a date';
    return 'binary data';
  }
  return 'an unsupported value';
}

const isNull = (node: YNode | null): boolean => node === null || (isScalar(node) && node.value === null);

class Walker {
  private readonly lc = new LineCounter();
  private readonly doc: ReturnType<typeof parseDocument>;
  private readonly errors: PolicyError[] = [];
  private errorCount = 0;
  private reported = 0;
  private visits = 0;
  private readonly aliasTargets = new Map<Alias, YNode>();
  private readonly overlay: PolicyOverlay = {};
  private readonly sources: Record<string, PolicySource> = {};
  private readonly extendsRefs: PolicyReference[] = [];
  private readonly itemSources: Record<string, PolicySource[]> = {};
  private readonly locked: Record<string, PolicySource> = {};

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly knownRuleIds: ReadonlySet<string> | undefined,
  ) {
    // uniqueKeys is checked here instead: the library's check is quadratic in the number of keys.
    this.doc = parseDocument(text, { lineCounter: this.lc, uniqueKeys: false, prettyErrors: false });
  }

  run(): { policy?: PolicyDocument; errors: PolicyError[] } {
    for (const e of this.doc.errors) this.reportRange(e.pos, 'error', 'yaml-syntax', e.message);
    for (const w of this.doc.warnings) this.reportRange(w.pos, 'warning', 'yaml-syntax', w.message);
    this.indexAnchors();
    const root = this.resolve(this.doc.contents);
    if (isNull(root)) return this.finish();
    if (!isMap(root)) {
      this.report(root, 'error', 'type', `A policy file is a mapping of keys (images, pinning, waivers, ...), not ${describe(root)}.`);
      return { errors: this.finishErrors() };
    }
    for (const f of this.fields(root, 'root', '').values()) {
      switch (f.name) {
        case 'extends': this.parseExtends(f); break;
        case 'locked': this.parseLocked(f); break;
        case 'images': this.parseImages(f); break;
        case 'registries': this.parseRegistries(f); break;
        case 'pinning': this.parsePinning(f); break;
        case 'sizes': this.parseSizes(f); break;
        case 'secrets': this.parseSecrets(f); break;
        case 'rules': this.parseRules(f); break;
        case 'suppression': this.parseSuppression(f); break;
        case 'waivers': this.parseWaivers(f); break;
        case 'builds': this.parseBuilds(f); break;
      }
    }
    return this.finish();
  }

  private finish(): { policy: PolicyDocument; errors: PolicyError[] } {
    const policy: PolicyOverlay = { ...this.overlay, files: [this.file] };
    if (Object.keys(this.sources).length > 0) policy.sources = this.sources;
    if (Object.keys(this.locked).length > 0) policy.locked = this.locked;
    if (Object.keys(this.itemSources).length > 0) policy.itemSources = this.itemSources;
    return { policy: { file: this.file, extends: this.extendsRefs, policy }, errors: this.finishErrors() };
  }

  finishErrors(): PolicyError[] {
    const capped = this.errors.filter((e) => e.code !== 'too-many-errors');
    capped.sort((a, b) => a.line - b.line || a.column - b.column);
    return capped.concat(this.errors.filter((e) => e.code === 'too-many-errors'));
  }

  // ---- positions and reporting ----

  private span(start: number, end: number): SourceSpan {
    const s = this.lc.linePos(start);
    const e = this.lc.linePos(Math.max(start, end));
    return { line: s.line, column: s.col, endLine: e.line, endColumn: e.col };
  }

  private nodeSpan(node: YNode): SourceSpan {
    const r = node.range;
    return r ? this.span(r[0], r[1]) : { line: 1, column: 1, endLine: 1, endColumn: 1 };
  }

  private source(node: YNode): PolicySource {
    const s = this.nodeSpan(node);
    return { file: this.file, line: s.line, column: s.column };
  }

  /** The beginning of a mapping up to the end of its first key: where "missing key" errors go. */
  private headSpan(map: YAMLMap): SourceSpan {
    const first = map.items[0]?.key;
    const start = map.range?.[0] ?? 0;
    const end = first && (first as YNode).range ? (first as YNode).range![1] : (map.range?.[1] ?? start);
    return this.span(start, end);
  }

  /** With a `suggestion`, the message says "Did you mean" and the error carries it for quick-fixes. */
  report(at: YNode | SourceSpan | null, severity: 'error' | 'warning', code: PolicyErrorCode, message: string, suggestion?: string): void {
    const span = at === null ? { line: 1, column: 1, endLine: 1, endColumn: 1 } : 'line' in at ? at : this.nodeSpan(at);
    if (severity === 'error') this.errorCount++;
    this.reported++;
    if (this.reported > MAX_REPORTED) {
      if (this.reported === MAX_REPORTED + 1) {
        this.errors.push({ file: this.file, line: span.line, column: span.column, message: `Too many problems; only the first ${MAX_REPORTED} are shown.`, severity: 'error', code: 'too-many-errors' });
      }
      return;
    }
    const error: PolicyError = { file: this.file, ...span, message, severity, code };
    if (suggestion !== undefined) {
      error.message += ` Did you mean "${suggestion}"?`;
      error.suggestion = suggestion;
    }
    this.errors.push(error);
  }

  private reportRange(pos: [number, number], severity: 'error' | 'warning', code: PolicyErrorCode, message: string): void {
    this.report(this.span(pos[0], pos[1]), severity, code, message);
  }

  /** Where a problem with a field's value goes: the value, or the key when the value is empty. */
  private at(f: Field): YNode {
    return f.value !== null && !isNull(f.value) && f.value.range ? f.value : f.key;
  }

  // ---- generic readers ----

  private indexAnchors(): void {
    const current = new Map<string, YNode>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = current.get(node.source);
          if (target) this.aliasTargets.set(node, target);
        } else if (node.anchor) current.set(node.anchor, node as YNode);
      },
    });
  }

  private resolve(node: unknown): YNode | null {
    if (++this.visits > MAX_VISITS) throw new BudgetExceeded();
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = this.aliasTargets.get(node);
      if (!target) {
        this.report(node as unknown as YNode, 'error', 'yaml-syntax', `Unknown alias *${node.source}.`);
        return null;
      }
      return target;
    }
    return node as YNode;
  }

  /** The keys of a mapping, warning on unknown ones and reporting duplicates (the first is used). */
  private fields(map: YAMLMap, ctx: KeyContext, path: string): Map<string, Field> {
    const known: readonly string[] = POLICY_KEYS[ctx];
    return this.entries(map, path, (name, key) => {
      if (known.includes(name)) return true;
      const where = path ? ` in ${path}` : '';
      this.report(key, 'warning', 'unknown-key', `Unknown key "${name}"${where}; it is ignored.`, closest(name, known));
      return false;
    });
  }

  private entries(map: YAMLMap, path: string, accept: (name: string, key: YNode) => boolean): Map<string, Field> {
    const out = new Map<string, Field>();
    for (const pair of map.items) {
      const key = this.resolve(pair.key);
      if (key === null) continue;
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        this.report(key, 'error', 'type', 'Keys must be plain names.');
        continue;
      }
      const name = isScalar(key) && key.type === 'PLAIN' && key.source !== undefined ? key.source : String(key.value);
      const prior = out.get(name);
      if (prior) {
        this.report(key, 'error', 'duplicate-key', `Duplicate key "${name}"; the first one (line ${this.nodeSpan(prior.key).line}) is used.`);
        continue;
      }
      if (!accept(name, key)) continue;
      out.set(name, { name, key, value: this.resolve(pair.value), path: path ? `${path}.${name}` : name });
    }
    return out;
  }

  private map(f: Field): YAMLMap | undefined {
    if (isNull(f.value)) return undefined; // `images:` with nothing under it sets nothing
    if (isMap(f.value)) return f.value;
    this.report(this.at(f), 'error', 'type', `${f.path} must be a mapping, not ${describe(f.value)}.`);
    return undefined;
  }

  private list(f: Field, example: string): YNode[] | undefined {
    if (isNull(f.value)) {
      this.report(f.key, 'warning', 'type', `${f.path} is empty; it is ignored.`);
      return undefined;
    }
    if (isSeq(f.value)) return f.value.items.map((i) => this.resolve(i)).filter((i): i is YNode => i !== null);
    this.report(this.at(f), 'error', 'type', `${f.path} must be a list, e.g. ${example}; not ${describe(f.value)}.`);
    return undefined;
  }

  /** Text of a scalar; a plain number keeps its spelling (`20.10` stays `20.10`, not `20.1`). */
  private textOf(node: YNode | null): string | undefined {
    if (node === null || !isScalar(node)) return undefined;
    if (typeof node.value === 'string') return node.value;
    if (typeof node.value === 'number' && node.type === 'PLAIN') return node.source ?? String(node.value);
    return undefined;
  }

  /** A text field. Empty: an error when `required`, else a warning and undefined. */
  private str(f: Field, required = false): string | undefined {
    if (isNull(f.value)) {
      if (required) this.report(f.key, 'error', 'required', `${f.path} needs a value.`);
      else this.report(f.key, 'warning', 'type', `${f.path} is empty; it is ignored.`);
      return undefined;
    }
    const t = this.textOf(f.value);
    if (t === undefined) {
      this.report(this.at(f), 'error', 'type', `${f.path} must be text, not ${describe(f.value)}.`);
      return undefined;
    }
    if (required && t.trim() === '') {
      this.report(this.at(f), 'error', 'required', `${f.path} must not be empty.`);
      return undefined;
    }
    return t;
  }

  /** A list of texts; each bad item is reported and left out. */
  private strList(f: Field, example: string, check?: (s: string) => [PolicyErrorCode, string] | undefined): string[] | undefined {
    const items = this.list(f, example);
    if (!items) return undefined;
    const out: string[] = [];
    const positions: PolicySource[] = [];
    items.forEach((item, i) => {
      const t = this.textOf(item);
      if (t === undefined) {
        this.report(item, 'error', 'type', `${f.path}[${i}] must be text, not ${describe(item)}.`);
        return;
      }
      const problem = check?.(t);
      if (problem) this.report(item, 'error', problem[0], `${f.path}[${i}]: ${problem[1]}`);
      else {
        out.push(t);
        positions.push(this.source(item));
      }
    });
    // Locks judge single items of these lists, so their errors need each item's place.
    if (ITEM_SOURCE_PATHS.has(f.path)) this.itemSources[f.path] = positions;
    return out;
  }

  private enumOf<T extends string>(f: Field, values: readonly T[]): T | undefined {
    if (isNull(f.value)) {
      this.report(f.key, 'error', 'required', `${f.path} needs a value: one of ${values.join(', ')}.`);
      return undefined;
    }
    // Plain spelling, so that YAML 1.1 booleans (`off`) are still read as written.
    const t = isScalar(f.value) && f.value.type === 'PLAIN' && f.value.source !== undefined ? f.value.source : this.textOf(f.value);
    if (t !== undefined && (values as readonly string[]).includes(t)) return t as T;
    const got = t !== undefined ? `"${t}"` : describe(f.value);
    this.report(this.at(f), 'error', 'enum', `${f.path} must be one of ${values.join(', ')}, not ${got}.`, t !== undefined ? closest(t, values) : undefined);
    return undefined;
  }

  private bool(f: Field): boolean | undefined {
    if (isNull(f.value)) {
      this.report(f.key, 'error', 'required', `${f.path} needs a value: true or false.`);
      return undefined;
    }
    if (isScalar(f.value) && typeof f.value.value === 'boolean') return f.value.value;
    this.report(this.at(f), 'error', 'type', `${f.path} must be true or false, not ${describe(f.value)}.`);
    return undefined;
  }

  private required(map: YAMLMap, fields: Map<string, Field>, path: string, ...names: string[]): void {
    for (const n of names) {
      if (!fields.has(n)) this.report(this.headSpan(map), 'error', 'required', `${path} needs "${n}".`);
    }
  }

  /** Reads the entries of a list field, keeping those that parsed without errors. */
  private entryList<T>(f: Field, example: string, read: (node: YNode, path: string) => T | undefined): T[] | undefined {
    const items = this.list(f, example);
    if (!items) return undefined;
    const out: T[] = [];
    items.forEach((node, i) => {
      const path = `${f.path}[${i}]`;
      if (!isMap(node)) {
        this.report(node, 'error', 'type', `${path} must be a mapping, not ${describe(node)}.`);
        return;
      }
      const before = this.errorCount;
      const entry = read(node, path);
      if (entry !== undefined && this.errorCount === before) out.push(entry);
    });
    return out;
  }

  private setSource(path: string, key: YNode): void {
    this.sources[path] = this.source(key);
  }

  // ---- sections ----

  private parseExtends(f: Field): void {
    if (f.value === null || isNull(f.value)) {
      this.report(f.key, 'warning', 'type', 'extends is empty; it is ignored.');
      return;
    }
    const items = isSeq(f.value) ? (this.list(f, '[../org/.plimsoll.yaml]') ?? []) : [f.value];
    for (const item of items) {
      if (isMap(item)) {
        this.parseRemoteExtends(item, isSeq(f.value) ? 'extends[]' : 'extends');
        continue;
      }
      const t = this.textOf(item);
      if (t === undefined || t.trim() === '') {
        this.report(item, 'error', 'type', `extends takes a path to another policy file, or { url, integrity }, or a list of them; not ${describe(item)}.`);
      } else if (URL_RE.test(t)) {
        this.report(item, 'error', 'integrity', 'A policy fetched by URL needs an integrity pin: write { url: ..., integrity: sha256-... }.');
      } else {
        this.extendsRefs.push({ path: t, span: this.nodeSpan(item) });
      }
    }
  }

  /** `{ url: https://..., integrity: sha256-... }`: both required, the URL https (http only for loopback). */
  private parseRemoteExtends(map: YAMLMap, path: string): void {
    const fs = this.fields(map, 'remote', path);
    this.required(map, fs, path, 'url', 'integrity');
    const urlF = fs.get('url');
    const integrityF = fs.get('integrity');
    const url = urlF ? this.str(urlF, true) : undefined;
    const integrity = integrityF ? this.str(integrityF, true) : undefined;
    let ok = url !== undefined && integrity !== undefined;
    if (urlF && url !== undefined) {
      const problem = policyUrlProblem(url);
      if (problem) {
        this.report(this.at(urlF), 'error', 'url', `${urlF.path}: ${problem}`);
        ok = false;
      }
    }
    if (integrityF && integrity !== undefined) {
      const problem = integrityProblem(integrity);
      if (problem) {
        this.report(this.at(integrityF), 'error', 'integrity', `${integrityF.path}: ${problem}`);
        ok = false;
      }
    }
    if (ok) this.extendsRefs.push({ path: url!, url: url!, integrity: integrity!.trim(), span: this.nodeSpan(map) });
  }

  /** `locked: [registries.trusted, pinning.level, rules.PL102]`; a section name locks all of its settings. */
  private parseLocked(f: Field): void {
    const names = this.list(f, '[registries.trusted, pinning.level]');
    if (!names) return;
    const all: readonly string[] = LOCKABLE;
    names.forEach((item, i) => {
      const t = this.textOf(item);
      const where = `${f.path}[${i}]`;
      if (t === undefined) {
        this.report(item, 'error', 'type', `${where} must be the name of a setting, not ${describe(item)}.`);
        return;
      }
      let expanded: string[];
      if (all.includes(t) || LOCK_RULE_RE.test(t)) expanded = [t];
      else if ((LOCK_SECTIONS as readonly string[]).includes(t)) expanded = all.filter((n) => n.startsWith(`${t}.`));
      else {
        const choices = [...all, ...LOCK_SECTIONS];
        this.report(item, 'error', 'enum', `${where}: "${t}" is not a setting that can be locked (${choices.join(', ')}, or rules.PL<n>).`, closest(t, choices));
        return;
      }
      if (LOCK_RULE_RE.test(t)) this.warnUnknownRule(t.slice('rules.'.length), item);
      for (const name of expanded) this.locked[name] ??= this.source(item);
    });
  }

  private parseImages(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    for (const g of this.fields(map, 'images', 'images').values()) {
      if (g.name === 'allow') {
        const allow = this.entryList(g, '[{ image: node, tags: ["20.*"] }]', (n, p) => this.parseMatcher(n, p, 'allow'));
        if (allow) this.overlay.allowedImages = allow;
      } else if (g.name === 'replacements') {
        const seen = new Map<string, number>();
        const example = '[{ from: node, to: registry.acme.internal/golden/node }]';
        const replacements = this.entryList(g, example, (n, p) => this.parseReplacement(n, p, seen));
        if (replacements) this.overlay.replacements = replacements;
      } else {
        const deny = this.entryList(g, '[{ image: ubuntu, reason: "End of life" }]', (n, p) => this.parseMatcher(n, p, 'deny'));
        if (deny) this.overlay.deniedImages = deny as DeniedImage[];
      }
    }
  }

  private parseMatcher(node: YNode, path: string, kind: 'allow' | 'deny'): ImageMatcher | DeniedImage | undefined {
    const map = node as YAMLMap;
    const fs = this.fields(map, kind, path);
    this.required(map, fs, path, ...(kind === 'deny' ? ['image', 'reason'] : ['image']));
    let image: string | undefined;
    let tagInImage: string | undefined;
    const imageF = fs.get('image');
    if (imageF) {
      const raw = this.str(imageF, true);
      if (raw !== undefined) {
        const parsed = parseImagePattern(raw);
        if ('error' in parsed) this.report(this.at(imageF), 'error', 'image', `${imageF.path}: ${parsed.error}`);
        else ({ image, tag: tagInImage } = parsed);
      }
    }
    const m: ImageMatcher = { image: image ?? '', source: this.source(node) };
    const tagsF = fs.get('tags');
    if (tagsF) {
      const tags = this.strList(tagsF, '["20.*", "20-alpine"]', (t) => (TAG_GLOB_RE.test(t) ? undefined : ['tag', `"${t}" is not a tag glob (letters, digits, . _ - and the wildcards * ?).`]));
      if (tags && tagInImage !== undefined) this.report(tagsF.key, 'error', 'tag', `${path} gives a tag both in image and in tags; use tags only.`);
      if (tags) m.tags = tags;
    } else if (tagInImage !== undefined) m.tags = [tagInImage];
    const semverF = fs.get('semver');
    if (semverF) {
      const range = this.str(semverF, true);
      if (range !== undefined) {
        if (semver().validRange(range) === null) this.report(this.at(semverF), 'error', 'semver', `${semverF.path}: "${range}" is not a semver range (e.g. ">=20.11 <21", "^20", "20.x").`);
        else m.semver = range;
      }
    }
    const variantsF = fs.get('variants');
    if (variantsF) {
      const variants = this.strList(variantsF, '[alpine, slim, ""]', (v) => (VARIANT_RE.test(v) ? undefined : ['tag', `"${v}" is not a variant (letters, digits, . _ -; "" for none).`]));
      if (variants) m.variants = variants;
    }
    if (kind === 'allow') return m;
    const reasonF = fs.get('reason');
    const reason = reasonF ? this.str(reasonF, true) : undefined;
    const d: DeniedImage = { ...m, reason: reason ?? '' };
    const replacementF = fs.get('replacement');
    if (replacementF) {
      const r = this.str(replacementF);
      if (r !== undefined) {
        if (parseImageRef(r) === undefined) this.report(this.at(replacementF), 'error', 'image', `${replacementF.path}: "${r}" is not an image reference (e.g. ubuntu:24.04).`);
        else d.replacement = r;
      }
    }
    return d;
  }

  private parseReplacement(node: YNode, path: string, seen: Map<string, number>): Replacement | undefined {
    const map = node as YAMLMap;
    const fs = this.fields(map, 'replacement', path);
    this.required(map, fs, path, 'from', 'to');
    let from: string | undefined;
    const fromF = fs.get('from');
    const fromRaw = fromF ? this.str(fromF, true) : undefined;
    if (fromF && fromRaw !== undefined) {
      const parsed = parseImagePattern(fromRaw);
      if ('error' in parsed) this.report(this.at(fromF), 'error', 'image', `${fromF.path}: ${parsed.error}`);
      // The quick-fix matches the repository only: a tag here would make the entry never match.
      else if (parsed.tag !== undefined) {
        const repository = fromRaw.slice(0, fromRaw.lastIndexOf(':'));
        this.report(this.at(fromF), 'error', 'tag', `${fromF.path}: a replacement maps a whole repository; write it without the tag.`, repository);
      } else from = parsed.image;
    }
    let to: string | undefined;
    const toF = fs.get('to');
    const toRaw = toF ? this.str(toF, true) : undefined;
    if (toF && toRaw !== undefined) {
      const problem = imageRefProblem(toRaw, false);
      if (problem) this.report(this.at(toF), 'error', 'image', `${toF.path}: ${problem}`);
      else to = toRaw;
    }
    if (from === undefined || to === undefined || !fromF) return undefined;
    // Only the first entry for an image is ever used; a second one is dead text.
    const line = seen.get(from);
    if (line !== undefined) {
      this.report(this.at(fromF), 'warning', 'duplicate-id', `${fromF.path}: "${fromRaw}" is already mapped on line ${line}; this entry is ignored.`);
      return undefined;
    }
    seen.set(from, this.nodeSpan(this.at(fromF)).line);
    return { from, to, source: this.source(node) };
  }

  private parseRegistries(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const trusted = this.fields(map, 'registries', 'registries').get('trusted');
    if (!trusted) return;
    const hosts = this.strList(trusted, '[docker.io, ghcr.io, "*.acme.internal"]', (h) => {
      if (h.includes('/')) return ['registry', `"${h}" must be a registry host only, without scheme or path (e.g. ghcr.io).`];
      if (!HOST_GLOB_RE.test(h)) return ['registry', `"${h}" is not a registry host glob.`];
      return undefined;
    });
    if (!hosts) return;
    this.overlay.trustedRegistries = hosts.map((h) => (h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h));
    this.setSource('registries.trusted', trusted.key);
  }

  private parsePinning(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const pinning: NonNullable<PolicyOverlay['pinning']> = {};
    for (const g of this.fields(map, 'pinning', 'pinning').values()) {
      if (g.name === 'stages') {
        const stagesMap = this.map(g);
        if (!stagesMap) continue;
        const stages: Record<string, PinLevel> = {};
        for (const s of this.entries(stagesMap, 'pinning.stages', () => true).values()) {
          const level = this.enumOf(s, PIN_LEVELS);
          if (level === undefined) continue;
          stages[s.name] = level;
          this.setSource(s.path, s.key);
        }
        pinning.stages = stages;
        continue;
      }
      let ok = true;
      switch (g.name) {
        case 'level': {
          const v = this.enumOf(g, PIN_LEVELS);
          if (v) pinning.level = v;
          else ok = false;
          break;
        }
        case 'scope': {
          const v = this.enumOf(g, PIN_SCOPES);
          if (v) pinning.scope = v;
          else ok = false;
          break;
        }
        case 'precision': {
          const v = this.enumOf(g, TAG_PRECISIONS);
          if (v) pinning.precision = v;
          else ok = false;
          break;
        }
        case 'platformDigests': {
          const v = this.bool(g);
          if (v !== undefined) pinning.platformDigests = v;
          else ok = false;
          break;
        }
        case 'bump': {
          const v = this.enumOf(g, PIN_BUMPS);
          if (v) pinning.bump = v;
          else ok = false;
          break;
        }
      }
      if (ok) this.setSource(g.path, g.key);
    }
    this.overlay.pinning = pinning;
  }

  private parseSizes(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const sizes: SizeBudgets = {};
    for (const g of this.fields(map, 'sizes', 'sizes').values()) {
      const bytes = this.size(g);
      if (bytes === undefined) continue;
      sizes[g.name as keyof SizeBudgets] = bytes;
      this.setSource(g.path, g.key);
    }
    this.overlay.sizes = sizes;
  }

  private size(f: Field): number | undefined {
    const v = f.value;
    if (isScalar(v) && typeof v.value === 'number') {
      if (Number.isSafeInteger(v.value) && v.value >= 0) return v.value;
      this.report(v, 'error', 'size', `${f.path}: a size in bytes must be a whole number, 0 or more (or write e.g. "300MB").`);
      return undefined;
    }
    if (isScalar(v) && typeof v.value === 'string') {
      const bytes = parseSize(v.value);
      if (bytes !== undefined) return bytes;
      this.report(v, 'error', 'size', `${f.path}: "${v.value}" is not a size; write bytes or e.g. 300MB, 1.5GiB, 500kB.`);
      return undefined;
    }
    if (isNull(v)) this.report(f.key, 'error', 'required', `${f.path} needs a size, e.g. 300MB.`);
    else this.report(this.at(f), 'error', 'type', `${f.path} must be a size such as 300MB, not ${describe(v)}.`);
    return undefined;
  }

  private parseSecrets(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const secrets: NonNullable<PolicyOverlay['secrets']> = {};
    for (const g of this.fields(map, 'secrets', 'secrets').values()) {
      if (g.name === 'patterns') {
        const seen = new Map<string, number>();
        const patterns = this.entryList(g, '[{ id: acme-token, regex: "acme_[a-z0-9]{32}" }]', (n, p) => this.parsePattern(n, p, seen));
        if (patterns) secrets.patterns = patterns;
      } else if (g.name === 'allowedNames') {
        const names = this.strList(g, '[PUBLIC_KEY_URL]');
        if (names) secrets.allowedNames = names;
      } else {
        const globs = this.strList(g, '["*.p12"]');
        if (globs) secrets.sensitiveFiles = globs;
      }
    }
    this.overlay.secrets = secrets;
  }

  private parsePattern(node: YNode, path: string, seen: Map<string, number>): SecretPattern | undefined {
    const map = node as YAMLMap;
    const fs = this.fields(map, 'pattern', path);
    this.required(map, fs, path, 'id', 'regex');
    const idF = fs.get('id');
    const regexF = fs.get('regex');
    const descriptionF = fs.get('description');
    const id = idF ? this.str(idF, true) : undefined;
    if (idF && id !== undefined) {
      if (!PATTERN_ID_RE.test(id)) this.report(this.at(idF), 'error', 'type', `${idF.path}: "${id}" is not an id (letters, digits, . _ -).`);
      const line = seen.get(id);
      if (line !== undefined) this.report(this.at(idF), 'error', 'duplicate-id', `${idF.path}: "${id}" is already defined on line ${line}.`);
      else seen.set(id, this.nodeSpan(this.at(idF)).line);
    }
    const regex = regexF ? this.str(regexF, true) : undefined;
    if (regexF && regex !== undefined) {
      const problem = regexProblem(regex);
      if (problem) this.report(this.at(regexF), 'error', 'regex', `${regexF.path}: ${problem}`);
    }
    const description = descriptionF ? this.str(descriptionF) : undefined;
    if (id === undefined || regex === undefined) return undefined;
    return { id, description: description ?? id, regex, source: this.source(node) };
  }

  private ruleId(t: string): [PolicyErrorCode, string] | undefined {
    return RULE_ID_RE.test(t) ? undefined : ['rule-id', `"${t}" is not a rule id (PL followed by digits, e.g. PL101).`];
  }

  private warnUnknownRule(id: string, at: YNode): void {
    if (this.knownRuleIds && !this.knownRuleIds.has(id)) {
      this.report(at, 'warning', 'unknown-rule', `Unknown rule ${id}.`, closest(id, this.knownRuleIds));
    }
  }

  private parseRules(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const rules: Record<string, RuleSetting> = {};
    for (const g of this.entries(map, 'rules', () => true).values()) {
      const bad = this.ruleId(g.name);
      if (bad) {
        this.report(g.key, 'error', bad[0], `rules: ${bad[1]}`);
        continue;
      }
      this.warnUnknownRule(g.name, g.key);
      let setting: RuleSetting | undefined;
      if (isMap(g.value)) {
        const sev = this.fields(g.value, 'rule', g.path).get('severity');
        setting = {};
        if (sev) {
          const level = this.enumOf(sev, RULE_LEVELS);
          if (level) setting.severity = level;
          else setting = undefined;
        }
      } else {
        const level = this.enumOf(g, RULE_LEVELS);
        if (level) setting = { severity: level };
      }
      if (setting) {
        rules[g.name] = setting;
        this.setSource(g.path, g.key);
      }
    }
    this.overlay.rules = rules;
  }

  private parseSuppression(f: Field): void {
    const map = this.map(f);
    if (!map) return;
    const inline = this.fields(map, 'suppression', 'suppression').get('inline');
    if (!inline) return;
    const v = this.bool(inline);
    if (v === undefined) return;
    this.overlay.allowInlineSuppression = v;
    this.setSource(inline.path, inline.key);
  }

  private parseWaivers(f: Field): void {
    const waivers = this.entryList(f, '[{ rules: [PL101], reason: "..." }]', (n, p) => this.parseWaiver(n, p));
    if (waivers) this.overlay.waivers = waivers;
  }

  private parseWaiver(node: YNode, path: string): Waiver | undefined {
    const map = node as YAMLMap;
    const fs = this.fields(map, 'waiver', path);
    this.required(map, fs, path, 'rules', 'reason');
    const w: Waiver = { rules: [], reason: '', source: this.source(node) };
    for (const g of fs.values()) {
      switch (g.name) {
        case 'rules': {
          // `*` waives every rule; the engine supports it, so the parser must not reject it.
          const ids = this.strList(g, '[PL101]', (t) => (t === '*' ? undefined : this.ruleId(t)));
          if (!ids) break;
          if (ids.length === 0 && isSeq(g.value) && g.value.items.length === 0) this.report(this.at(g), 'error', 'required', `${g.path} must name at least one rule.`);
          if (isSeq(g.value)) g.value.items.forEach((item) => {
            const t = this.textOf(this.resolve(item));
            if (t !== undefined && RULE_ID_RE.test(t)) this.warnUnknownRule(t, item as YNode);
          });
          w.rules = ids;
          break;
        }
        case 'reason': {
          const r = this.str(g, true);
          if (r !== undefined) w.reason = r;
          break;
        }
        case 'file': {
          const t = this.str(g);
          if (t !== undefined) w.file = t.replace(/^(?:\.\/)+/, '');
          break;
        }
        case 'stage': {
          const t = this.str(g);
          if (t !== undefined) w.stage = t;
          break;
        }
        case 'owner': {
          const t = this.str(g);
          if (t !== undefined) w.owner = t;
          break;
        }
        case 'image': {
          const t = this.str(g);
          if (t === undefined) break;
          if (/\s/.test(t) || t === '') this.report(this.at(g), 'error', 'image', `${g.path}: "${t}" is not an image glob.`);
          else w.image = t === '**' ? t : normaliseRepositoryPattern(t);
          break;
        }
        case 'expires': {
          const d = this.date(g);
          if (d !== undefined) w.expires = d;
          break;
        }
      }
    }
    return w;
  }

  private parseBuilds(f: Field): void {
    const seen = new Map<string, number>();
    const example = '[{ dockerfile: services/api/Dockerfile, image: registry.acme.internal/team/api:main }]';
    const builds = this.entryList(f, example, (n, p) => this.parseBuild(n, p, seen));
    if (builds) this.overlay.builds = builds;
  }

  /**
   * `dockerfile` is relative to the folder of the declaring policy file; an inherited mapping keeps
   * meaning its own repository's paths through `source.file`.
   */
  private parseBuild(node: YNode, path: string, seen: Map<string, number>): BuildMapping | undefined {
    const map = node as YAMLMap;
    const fs = this.fields(map, 'build', path);
    this.required(map, fs, path, 'dockerfile', 'image');
    let dockerfile: string | undefined;
    const fileF = fs.get('dockerfile');
    const fileRaw = fileF ? this.str(fileF, true) : undefined;
    if (fileF && fileRaw !== undefined) {
      const problem = dockerfileGlobProblem(fileRaw);
      if (problem) this.report(this.at(fileF), 'error', 'path', `${fileF.path}: ${problem}`);
      else dockerfile = fileRaw.replace(/^(?:\.\/)+/, '');
    }
    let image: string | undefined;
    const imageF = fs.get('image');
    const imageRaw = imageF ? this.str(imageF, true) : undefined;
    if (imageF && imageRaw !== undefined) {
      const problem = imageRefProblem(imageRaw, true);
      if (problem) this.report(this.at(imageF), 'error', 'image', `${imageF.path}: ${problem}`);
      else image = imageRaw;
    }
    if (dockerfile === undefined || image === undefined || !fileF) return undefined;
    const line = seen.get(dockerfile);
    if (line !== undefined) {
      this.report(this.at(fileF), 'warning', 'duplicate-id', `${fileF.path}: "${fileRaw}" is already mapped on line ${line}; this entry is ignored.`);
      return undefined;
    }
    seen.set(dockerfile, this.nodeSpan(this.at(fileF)).line);
    return { dockerfile, image, source: this.source(node) };
  }

  private date(f: Field): string | undefined {
    const v = f.value;
    if (isNull(v)) {
      this.report(f.key, 'error', 'required', `${f.path} needs a date (YYYY-MM-DD).`);
      return undefined;
    }
    // YAML 1.1 files may turn dates into Date objects: read the text as written instead.
    const t = isScalar(v) && v.value instanceof Date ? v.source : this.textOf(v);
    const m = t !== undefined ? DATE_RE.exec(t) : null;
    if (t === undefined || !m) {
      this.report(this.at(f), 'error', 'date', `${f.path} must be a date written YYYY-MM-DD, not ${t !== undefined ? `"${t}"` : describe(v)}.`);
      return undefined;
    }
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
      this.report(this.at(f), 'error', 'date', `${f.path}: ${t} is not a real date.`);
      return undefined;
    }
    return t;
  }
}

/**
 * Normalises an image pattern as written in a policy (`node`, `acme/*`, `ghcr.io/acme/**`); a tag
 * written with it (`ubuntu:14.04`) is split off. `**` alone matches every image.
 */
export function parseImagePattern(raw: string): { image: string; tag?: string } | { error: string } {
  if (raw === '**') return { image: raw };
  if (raw === '' || /\s/.test(raw)) return { error: `"${raw}" is not an image name (no spaces).` };
  if (raw.includes('$')) return { error: 'variables are not expanded in a policy; write the image name.' };
  if (URL_RE.test(raw)) return { error: `write the image without a scheme, e.g. ${raw.replace(URL_RE, '')}.` };
  if (raw.includes('@')) return { error: 'a digest cannot be matched; use tags, or pinning to require digests.' };
  let name = raw;
  let tag: string | undefined;
  const colon = raw.lastIndexOf(':');
  if (colon > raw.lastIndexOf('/')) {
    tag = raw.slice(colon + 1);
    name = raw.slice(0, colon);
    if (!TAG_GLOB_RE.test(tag)) return { error: `"${tag}" is not a tag glob.` };
  }
  const image = normaliseRepositoryPattern(name);
  const [host = '', ...repo] = image.split('/');
  if (!HOST_GLOB_RE.test(host)) return { error: `"${host}" is not a registry host.` };
  for (const part of repo) {
    if (REPO_PART_RE.test(part)) continue;
    if (REPO_PART_RE.test(part.toLowerCase())) return { error: `repository names are lower-case ("${part}").` };
    return { error: `"${name}" is not an image name.` };
  }
  return tag === undefined ? { image } : { image, tag };
}

/**
 * Why `raw` is not one concrete image reference (`registry.acme.internal/golden/node:20`), or
 * undefined when it is. Without `digest`, a digest is refused too.
 */
export function imageRefProblem(raw: string, digest: boolean): string | undefined {
  if (raw.includes('$')) return 'variables are not expanded in a policy; write the image name.';
  if (URL_RE.test(raw)) return `write the image without a scheme, e.g. ${raw.replace(URL_RE, '')}.`;
  if (/[*?]/.test(raw)) return `"${raw}" is a glob; name one image.`;
  const ref = parseImageRef(raw);
  if (!ref) {
    if (parseImageRef(raw.toLowerCase())) return `repository names are lower-case ("${raw}").`;
    return `"${raw}" is not an image reference (e.g. registry.acme.internal/golden/node:20).`;
  }
  if (!digest && ref.digest !== undefined) return 'write the repository, optionally with a tag, but no digest: the digest is looked up when the fix is made.';
  return undefined;
}

/** Why a `builds[].dockerfile` glob can never match a Dockerfile under the policy's folder. */
export function dockerfileGlobProblem(raw: string): string | undefined {
  if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)) return `"${raw}" is absolute; write it relative to this policy file's folder (e.g. services/api/Dockerfile).`;
  if (raw.includes('\\')) return `"${raw}" uses \\; separate folders with /.`;
  if (raw.split('/').includes('..')) return `"${raw}" leaves this policy file's folder; a build is declared in a policy at or above its Dockerfile.`;
  if (raw.replace(/^(?:\.\/)+/, '') === '') return `"${raw}" names no file.`;
  return undefined;
}

/** Why a secret pattern cannot be used, or undefined when it compiles. */
export function regexProblem(source: string): string | undefined {
  if (/^\(\?[a-z]+\)/.test(source)) return 'JavaScript regular expressions have no inline flags such as (?i); write the letters as classes, e.g. [Aa].';
  try {
    new RegExp(source);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (new RegExp(source).test('')) return 'the pattern matches empty text, so it would flag everything.';
  return undefined;
}

