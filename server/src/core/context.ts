// The build context as facts (a file list the CLI or server read from disk), `.dockerignore` matching exactly
// as Docker's patternmatcher does it, and which context files each COPY/ADD takes.
import { memoLocal, type Instr } from './model.ts';
import type { Position, Range } from './types.ts';

export interface ContextFile {
  /** POSIX path relative to the context root, no leading `./`. */
  path: string;
  size: number;
}

export interface BuildContextFacts {
  /** Every regular file under the context root, before `.dockerignore` is applied. */
  files: ContextFile[];
  /** The ignore file in force (`<Dockerfile>.dockerignore` beats `.dockerignore`, as BuildKit does). */
  dockerignore?: {
    text: string;
    /** Path of the ignore file relative to the Dockerfile's folder, for fixes that add to it. */
    file: string;
    exists: boolean;
  };
  /** The walk stopped early (too many files); sums are then lower bounds. */
  truncated?: boolean;
}

interface IgnorePattern {
  exclusion: boolean;
  match: (path: string) => boolean;
}

/** Go's filepath.Clean for slash paths. */
export function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  const s = out.join('/');
  return abs ? `/${s}` : s || '.';
}

/** Parses `.dockerignore` like moby's ignorefile.ReadAll. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    // Only a `#` in the first column starts a comment; `  # x` is a pattern.
    if (raw.startsWith('#')) continue;
    let line = raw.trim();
    if (line === '') continue;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
      if (line === '') continue;
    }
    line = cleanPath(line);
    if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    patterns.push({ exclusion, match: compileIgnore(line) });
  }
  return patterns;
}

// patternmatcher's Pattern.compile and match: `*` and `?` stop at `/`, `**` crosses any number of segments.
// A pattern without wildcards matches exactly, `foo/**` is a prefix match (everything under foo/) and a
// pattern that starts with `**` and has no other wildcard a suffix match; the rest become a regexp, with
// `[...]` passed through (so `[^a]` negates and `[!a]` does not, as in Go).
function compileIgnore(pattern: string): (path: string) => boolean {
  let re = '^';
  let type: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const first = i === 0;
        i++;
        if (pattern[i + 1] === '/') i++;
        if (i + 1 >= pattern.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (first) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if ('.+()|{}$'.includes(ch)) re += `\\${ch}`;
    else if (ch === '\\') {
      if (i + 1 < pattern.length) {
        re += `\\${pattern[++i]}`;
        type = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else re += ch;
  }
  if (type === 'exact') return (path) => path === pattern;
  if (type === 'prefix') {
    const prefix = pattern.slice(0, -2);
    return (path) => path.startsWith(prefix);
  }
  if (type === 'suffix') {
    const suffix = pattern.slice(2);
    return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
  }
  try {
    const compiled = new RegExp(`${re}$`);
    return (path) => compiled.test(path);
  } catch {
    return () => false;
  }
}

export class IgnoreMatcher {
  private readonly patterns: IgnorePattern[];
  constructor(text: string | undefined) {
    this.patterns = text ? parseDockerignore(text) : [];
  }

  /** moby's MatchesOrParentMatches: a pattern that matches a parent folder excludes what is inside. */
  ignores(path: string): boolean {
    if (this.patterns.length === 0) return false;
    const parts = path.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let match = p.match(path);
      for (let i = 1; !match && i < parts.length; i++) match = p.match(parts.slice(0, i).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  }
}

export interface ContextSource {
  source: string;
  range: Range;
}

const SOURCES = Symbol('plimsoll.contextSources');
const NO_SOURCES: readonly ContextSource[] = [];

/** Sources of a COPY/ADD that come from the build context (not `--from`, heredocs, URLs or git). */
export function contextSources(instr: Instr): readonly ContextSource[] {
  if (instr.keyword !== 'COPY' && instr.keyword !== 'ADD') return NO_SOURCES;
  // PL403, PL404 and PL501 each walk every COPY and ADD: the sources are read once, and kept across edits elsewhere.
  return memoLocal(instr, SOURCES, () => readContextSources(instr));
}

function readContextSources(instr: Instr): ContextSource[] {
  if (instr.flags.some((f) => f.name === 'from')) return [];
  let args = instr.args;
  // With heredocs the parser's arguments run on into the bodies; only the instruction's own line names sources.
  if (instr.heredocs.length > 0) args = args.slice(0, instr.logical.trim().split(/\s+/).length);
  let values = args.map((a) => ({ source: a.value, range: a.range }));
  const json = /^\s*\[/.test(instr.logical);
  if (json) {
    try {
      const parsed = JSON.parse(instr.logical) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) {
        const r = instr.argumentsRange ?? instr.range;
        const exact = jsonStringRanges(instr, r.start);
        values = (parsed as string[]).map((s, k) => ({ source: s, range: exact.length === parsed.length ? exact[k]! : r }));
      }
    } catch {
      return [];
    }
  }
  if (values.length < 2) return [];
  return values
    .slice(0, -1)
    .filter((v) => !v.source.startsWith('<<') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v.source) && !v.source.startsWith('git@'));
}

/**
 * Ranges of the strings of an exec-form (JSON) argument list, inside the quotes, so that a finding points at
 * the one source it is about. Strings do not span lines; continuations and commas sit between them.
 */
function jsonStringRanges(instr: Instr, from: Position): Range[] {
  const text = instr.text;
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const lineOf = (p: Position) => p.line - instr.range.start.line;
  const offsetOf = (p: Position) => (starts[lineOf(p)] ?? text.length) + p.character - (lineOf(p) === 0 ? instr.range.start.character : 0);
  const positionOf = (o: number): Position => {
    let l = 0;
    while (l + 1 < starts.length && starts[l + 1]! <= o) l++;
    return { line: instr.range.start.line + l, character: o - starts[l]! + (l === 0 ? instr.range.start.character : 0) };
  };
  const out: Range[] = [];
  const re = /"(?:[^"\\\n]|\\.)*"|\]/g;
  re.lastIndex = Math.max(0, offsetOf(from));
  for (let m = re.exec(text); m && m[0] !== ']'; m = re.exec(text)) {
    out.push({ start: positionOf(m.index + 1), end: positionOf(m.index + m[0].length - 1) });
  }
  return out;
}

/** Go's path.Match for one segment-aware glob (COPY sources use it); `[^a]` negates, `[!a]` does not. */
function sourceRegExp(source: string): RegExp {
  let re = '^';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = source.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += source.slice(i, close + 1).replace(/\\/g, '\\\\');
        i = close;
      }
    } else if ('.+()|{}$^]\\'.includes(ch)) re += `\\${ch}`;
    else re += ch;
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    return /(?!)/;
  }
}

/** The context files one COPY/ADD source takes: a file, a folder's whole tree, or glob matches; ignored files excluded. */
export function filesForSource(source: string, facts: BuildContextFacts, ignore: IgnoreMatcher): ContextFile[] {
  let src = cleanPath(source.replace(/\\/g, '/'));
  while (src.startsWith('/') || src.startsWith('../')) src = src.replace(/^\/+/, '').replace(/^(\.\.\/)+/, '');
  if (src === '..' || src === '') src = '.';
  const out: ContextFile[] = [];
  if (src === '.') {
    for (const f of facts.files) if (!ignore.ignores(f.path)) out.push(f);
    return out;
  }
  const hasGlob = /[*?[]/.test(src);
  const re = hasGlob ? sourceRegExp(src) : undefined;
  const depth = src.split('/').length;
  for (const f of facts.files) {
    if (ignore.ignores(f.path)) continue;
    if (re) {
      // A glob matches a file or a folder at the glob's depth; a matched folder brings its tree.
      const head = f.path.split('/').slice(0, depth).join('/');
      if (re.test(head)) out.push(f);
    } else if (f.path === src || f.path.startsWith(`${src}/`)) out.push(f);
  }
  return out;
}
