// The build context as facts (a file list the CLI or server read from disk), `.dockerignore` matching exactly
// as Docker's patternmatcher does it, and which context files each COPY/ADD takes.
import type { Instr } from './model.ts';

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
  re: RegExp;
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
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
      if (line === '') continue;
    }
    line = cleanPath(line);
    if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    patterns.push({ exclusion, re: compileIgnore(line) });
  }
  return patterns;
}

// patternmatcher's regexp compilation: `*` and `?` stop at `/`, `**` crosses any number of segments.
function compileIgnore(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        if (i + 1 >= pattern.length) re += re === '^' ? '.*' : '(/.*)?';
        else re += '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) {
      re += `\\${pattern[++i]}`;
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += pattern.slice(i, close + 1).replace(/^\[!/, '[^').replace(/\\/g, '\\\\');
        i = close;
      }
    } else if ('.+()|{}$^]'.includes(ch)) re += `\\${ch}`;
    else re += ch;
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    return /(?!)/;
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
      let match = p.re.test(path);
      for (let i = 1; !match && i < parts.length; i++) match = p.re.test(parts.slice(0, i).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  }
}

/** Sources of a COPY/ADD that come from the build context (not `--from`, heredocs, URLs or git). */
export function contextSources(instr: Instr): Array<{ source: string; range: import('./types.ts').Range }> {
  if (instr.keyword !== 'COPY' && instr.keyword !== 'ADD') return [];
  if (instr.flags.some((f) => f.name === 'from')) return [];
  const args = instr.node.getArguments();
  let values = args.map((a) => ({ source: a.getValue(), range: a.getRange() }));
  const json = /^\s*\[/.test(instr.logical);
  if (json) {
    try {
      const parsed = JSON.parse(instr.logical) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) {
        const r = instr.node.getArgumentsRange() ?? instr.range;
        values = (parsed as string[]).map((s) => ({ source: s, range: r }));
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

/** Go's path.Match for one segment-aware glob (COPY sources use it). */
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
        re += source.slice(i, close + 1).replace(/^\[!/, '[^').replace(/\\/g, '\\\\');
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
