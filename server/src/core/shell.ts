// A small POSIX-shell splitter for RUN instructions: simple commands with their words, split on `&&`, `||`,
// `;`, `|`, `&`, newlines and subshell parentheses, with quotes, `$(...)`, `${...}`, backticks and heredocs
// kept inside their word. No expansion and no grammar beyond that: rules ask "is there an `apt-get install`
// here, and where", which this answers without a shell parser.
import { memoLocal, type DockerfileModel, type HeredocModel, type Instr } from './model.ts';
import type { Range } from './types.ts';
import { TextCache } from './textCache.ts';

export interface ShellWord {
  /** The word with quotes and backslash escapes removed; `$VAR`, `$(...)` and globs stay as written. */
  value: string;
  /** Part of the word was quoted or escaped (so a glob or `#` in it is literal). */
  quoted: boolean;
  /** Offsets of the word as written, quotes included: indices into the text given to splitShell. */
  start: number;
  end: number;
}

export interface ShellRedirect {
  /** `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `&>`, ... with any leading fd (`2>&1` is `2>&` + `1`). */
  op: string;
  target: ShellWord | undefined;
  start: number;
}

/** The operator that ends a command: what connects it to the next one. */
export type ShellOperator = '&&' | '||' | ';' | '|' | '&' | '\n' | '(' | ')' | '';

export interface ShellCommand {
  /** Leading `NAME=value` words. */
  assignments: ShellWord[];
  /** The command and its arguments; reserved words that open a compound command (`if`, `then`, `do`, `{`, `!`) are dropped. */
  words: ShellWord[];
  redirects: ShellRedirect[];
  /** The operator before this command (`''` for the first). */
  after: ShellOperator;
  start: number;
  end: number;
}

export interface ShellScript {
  commands: ShellCommand[];
  /** Just after the last token that is not a comment or blank: where text can be appended to the script. */
  end: number;
  /** The operator the script ends with (`&&` of an unfinished line, `;`, `&`), or `''`. */
  trailingOperator: ShellOperator;
  /** A quote, substitution or backslash escape runs off the end: text appended would land inside it. */
  unclosed: boolean;
}

interface ScanState {
  unclosed: boolean;
}

// Reserved words that can only start a command; the command proper follows them.
const OPENERS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);
const CLOSERS = new Set(['fi', 'done', 'esac', '}']);
const BLANK = new Set([' ', '\t', '\r']);
const META = new Set([' ', '\t', '\r', '\n', ';', '&', '|', '(', ')', '<', '>']);
/** A run of characters that mean nothing special inside a word: copied in one slice. */
const PLAIN_RUN = /[^ \t\r\n;&|()<>\\'"$`]+/y;

/** Splits shell text into simple commands. Offsets in the result index `text`. */
export function splitShell(text: string): ShellScript {
  const commands: ShellCommand[] = [];
  const heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  const st: ScanState = { unclosed: false };
  let cur = newCommand('', 0);
  let end = 0;
  let trailing: ShellOperator = '';
  let i = 0;

  const finish = (op: ShellOperator, at: number) => {
    if (cur.words.length > 0 || cur.assignments.length > 0 || cur.redirects.length > 0) commands.push(cur);
    cur = newCommand(op, at);
  };

  while (i < text.length) {
    const c = text[i]!;
    if (BLANK.has(c)) {
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\r' && text[i + 2] === '\n') {
      i += 3;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      i++;
      // After `&&`, `|` or `;` a newline only continues the list; the operator stays what joins the commands.
      if (cur.words.length > 0 || cur.assignments.length > 0 || cur.redirects.length > 0) finish('\n', i);
      i = skipHeredocBodies(text, i, heredocs);
      continue;
    }
    if (c === '<' || c === '>' || (c === '&' && text[i + 1] === '>')) {
      i = readRedirect(text, i, '', cur, heredocs, st);
      end = i;
      trailing = '';
      continue;
    }
    const op = operatorAt(text, i);
    if (op) {
      i += op.length;
      end = i;
      trailing = op.op;
      finish(op.op, i);
      continue;
    }
    const w = readWord(text, i, st);
    i = w.end;
    end = i;
    trailing = '';
    if (!w.quoted && /^\d+$/.test(w.value) && (text[i] === '<' || text[i] === '>')) {
      i = readRedirect(text, i, w.value, cur, heredocs, st, w.start);
      end = i;
      continue;
    }
    if (cur.words.length === 0 && cur.assignments.length === 0) cur.start = w.start;
    cur.end = w.end;
    if (cur.words.length === 0 && !w.quoted && OPENERS.has(w.value)) {
      cur.start = i;
      continue;
    }
    if (cur.words.length === 0 && !w.quoted && CLOSERS.has(w.value) && cur.assignments.length === 0) {
      cur.start = i;
      continue;
    }
    if (cur.words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(text.slice(w.start, w.end))) cur.assignments.push(w);
    else cur.words.push(w);
  }
  finish('', text.length);
  return { commands, end, trailingOperator: trailing, unclosed: st.unclosed };
}

function newCommand(after: ShellOperator, at: number): ShellCommand {
  return { assignments: [], words: [], redirects: [], after, start: at, end: at };
}

function operatorAt(text: string, i: number): { op: ShellOperator; length: number } | undefined {
  const two = text.slice(i, i + 2);
  if (two === '&&' || two === '||') return { op: two, length: 2 };
  // `;;` and `;&` end case arms, `|&` pipes stderr too: for splitting they are `;` and `|`.
  if (two === ';;' || two === ';&') return { op: ';', length: 2 };
  if (two === '|&') return { op: '|', length: 2 };
  const c = text[i]!;
  if (c === ';' || c === '|' || c === '&' || c === '(' || c === ')') return { op: c, length: 1 };
  return undefined;
}

function readRedirect(
  text: string,
  i: number,
  fd: string,
  cmd: ShellCommand,
  heredocs: Array<{ delimiter: string; stripTabs: boolean }>,
  st: ScanState,
  start = i,
): number {
  const m = /^(<<<|<<-|<<|<>|<&|>>|>&|>\||&>>|&>|<|>)/.exec(text.slice(i, i + 3))!;
  const op = fd + m[1]!;
  i += m[1]!.length;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  let target: ShellWord | undefined;
  if (i < text.length && !META.has(text[i]!)) {
    target = readWord(text, i, st);
    i = target.end;
  }
  if (cmd.words.length === 0 && cmd.assignments.length === 0 && cmd.redirects.length === 0) cmd.start = start;
  cmd.end = i;
  cmd.redirects.push({ op, target, start });
  if ((m[1] === '<<' || m[1] === '<<-') && target) heredocs.push({ delimiter: target.value, stripTabs: m[1] === '<<-' });
  return i;
}

function skipHeredocBodies(text: string, i: number, heredocs: Array<{ delimiter: string; stripTabs: boolean }>): number {
  while (heredocs.length > 0) {
    const h = heredocs.shift()!;
    while (i < text.length) {
      let nl = text.indexOf('\n', i);
      if (nl < 0) nl = text.length;
      let line = text.slice(i, nl).replace(/\r$/, '');
      if (h.stripTabs) line = line.replace(/^\t+/, '');
      i = Math.min(nl + 1, text.length);
      if (line === h.delimiter) break;
    }
  }
  return i;
}

/** Reads one word from `i` (which is not a blank or an operator). */
function readWord(text: string, i: number, st: ScanState): ShellWord {
  const start = i;
  let value = '';
  let quoted = false;
  while (i < text.length) {
    PLAIN_RUN.lastIndex = i;
    const run = PLAIN_RUN.exec(text);
    if (run) {
      value += run[0];
      i += run[0].length;
      continue;
    }
    const c = text[i]!;
    if (META.has(c)) break;
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (text[i + 1] === '\r' && text[i + 2] === '\n') {
        i += 3;
        continue;
      }
      if (i + 1 < text.length) value += text[i + 1]!;
      else st.unclosed = true;
      quoted = true;
      i = Math.min(i + 2, text.length);
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) st.unclosed = true;
      const stop = close < 0 ? text.length : close;
      value += text.slice(i + 1, stop);
      quoted = true;
      i = Math.min(stop + 1, text.length);
      continue;
    }
    if (c === '"') {
      const r = readDoubleQuoted(text, i + 1, st);
      value += r.value;
      quoted = true;
      i = r.end;
      continue;
    }
    if (c === '$' && text[i + 1] === "'") {
      const stop = skipAnsiC(text, i + 2, st);
      value += text.slice(i + 2, stop - 1);
      quoted = true;
      i = stop;
      continue;
    }
    const expansion = expansionEnd(text, i, st);
    if (expansion !== undefined) {
      // `$(...)`, `${...}` and backticks stay as written, whatever they contain.
      value += text.slice(i, expansion);
      i = expansion;
      continue;
    }
    value += c;
    i++;
  }
  return { value, quoted, start, end: i };
}

/** The end of a `$(...)`, `${...}` or backtick expansion that starts at `i`; undefined when none starts there. */
function expansionEnd(text: string, i: number, st: ScanState): number | undefined {
  const c = text[i];
  if (c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) return skipBalanced(text, i + 2, text[i + 1] === '(' ? ')' : '}', st);
  if (c === '`') return skipBacktick(text, i + 1, st);
  return undefined;
}

function readDoubleQuoted(text: string, i: number, st: ScanState): { value: string; end: number } {
  let value = '';
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value, end: i + 1 };
    if (c === '\\' && i + 1 < text.length) {
      const n = text[i + 1]!;
      if (n === '\n') i += 2;
      else if ('$`"\\'.includes(n)) {
        value += n;
        i += 2;
      } else {
        value += c;
        i++;
      }
      continue;
    }
    const expansion = expansionEnd(text, i, st);
    if (expansion !== undefined) {
      // `$(...)`, `${...}` and backticks stay as written, whatever they contain.
      value += text.slice(i, expansion);
      i = expansion;
      continue;
    }
    value += c;
    i++;
  }
  st.unclosed = true;
  return { value, end: i };
}

function skipAnsiC(text: string, i: number, st: ScanState): number {
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === "'") return i + 1;
    else i++;
  }
  st.unclosed = true;
  return text.length;
}

function skipBacktick(text: string, i: number, st: ScanState): number {
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '`') return i + 1;
    else i++;
  }
  st.unclosed = true;
  return text.length;
}

/** From just inside `$(` or `${` to just after the matching close, skipping quotes and nested substitutions. */
function skipBalanced(text: string, i: number, close: ')' | '}', st: ScanState): number {
  const open = close === ')' ? '(' : '{';
  let depth = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") {
      const q = text.indexOf("'", i + 1);
      if (q < 0) st.unclosed = true;
      i = q < 0 ? text.length : q + 1;
      continue;
    }
    if (c === '"') {
      i = readDoubleQuoted(text, i + 1, st).end;
      continue;
    }
    if (c === '`') {
      i = skipBacktick(text, i + 1, st);
      continue;
    }
    if (c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) {
      i = skipBalanced(text, i + 2, text[i + 1] === '(' ? ')' : '}', st);
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i + 1;
    i++;
  }
  st.unclosed = true;
  return text.length;
}

// ---------------------------------------------------------------------------------------------------------
// RUN instructions: the shell text as the shell sees it, mapped back to the document.

export interface RunWord extends ShellWord {
  /** `start`/`end` are document offsets here; the range is what findings point at. */
  range: Range;
}

export interface RunCommand {
  assignments: RunWord[];
  words: RunWord[];
  redirects: Array<{ op: string; target: RunWord | undefined }>;
  after: ShellOperator;
  range: Range;
  origin: RunScript['origin'];
}

export interface RunScript {
  /** `line`: the shell form after RUN; `heredoc`: a heredoc body that runs as a shell script; `exec`: `RUN [...]`. */
  origin: 'line' | 'heredoc' | 'exec';
  commands: RunCommand[];
  /** Document offset just after the last token: where a shell-form RUN can be extended. */
  end: number;
  trailingOperator: ShellOperator;
  unclosed: boolean;
  heredoc?: HeredocModel;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);

/**
 * The scripts a RUN executes: its shell form (continuations joined with the file's escape character,
 * comment and blank lines inside continuations dropped, as BuildKit does), the heredoc bodies that run
 * as shell scripts, or the one command of the exec form. Other keywords give nothing.
 */
export function runScripts(model: DockerfileModel, instr: Instr): readonly RunScript[] {
  if (instr.keyword !== 'RUN') return [];
  // Several rules ask about the same RUN, and it is the same after an edit elsewhere: kept on the instruction.
  return memoLocal(instr, SCRIPTS, () => parseRun(model, instr));
}

const SCRIPTS = Symbol('plimsoll.runScripts');

/** splitShell answers kept across lints (see textCache.ts); frozen, because every RUN with that text shares one. */
const shellSplits = new TextCache((text) => deepFreeze(splitShell(text)));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function parseRun(model: DockerfileModel, instr: Instr): readonly RunScript[] {
  const line = joinedArguments(model, instr);
  if (!line) return [];
  const exec = execForm(instr, line);
  if (exec) return [exec];
  const parsed = shellSplits.get(line.text);
  const scripts: RunScript[] = [mapScript(instr, parsed, line.segments, 'line')];
  for (const h of instr.heredocs) {
    if (!h.contentRange || !heredocIsScript(h, parsed.commands)) continue;
    const body = shellSplits.get(h.content);
    scripts.push({ ...mapScript(instr, body, [{ at: 0, doc: model.index.offsetAt(h.contentRange.start) }], 'heredoc'), heredoc: h });
  }
  return scripts;
}

/** Every simple command a RUN executes, in order. */
export function runCommands(model: DockerfileModel, instr: Instr): RunCommand[] {
  return runScripts(model, instr).flatMap((s) => s.commands);
}

/** Index into `words` of the program, past `sudo`, `env`, `command`, `exec`, `nice`, `time` and `nohup`; -1 when none. */
export function programIndex(words: readonly ShellWord[]): number {
  let i = 0;
  while (i < words.length) {
    const name = basename(words[i]!.value);
    if (name === 'sudo' || name === 'env' || name === 'nice') {
      i++;
      const valued = name === 'sudo' ? /^-[ugCDhprt]$/ : name === 'env' ? /^-[uSC]$/ : /^-n$/;
      while (i < words.length) {
        const v = words[i]!.value;
        if (v === '--') {
          i++;
          break;
        }
        if (valued.test(v)) i += 2;
        else if (v.startsWith('-') || (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v))) i++;
        else break;
      }
      continue;
    }
    if (name === 'command' || name === 'exec' || name === 'time' || name === 'nohup') {
      i++;
      while (i < words.length && words[i]!.value.startsWith('-')) i++;
      continue;
    }
    return i;
  }
  return -1;
}

/** The last path segment: `/usr/bin/apt-get` is `apt-get`. */
export function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** A run of `text` copied from the document: text index `at` is document offset `doc`. */
interface Segment {
  at: number;
  doc: number;
}

interface Joined {
  text: string;
  segments: Segment[];
}

/** The RUN arguments up to the end of the logical line (heredoc bodies excluded), with continuations removed. */
function joinedArguments(model: DockerfileModel, instr: Instr): Joined | undefined {
  const args = instr.argumentsRange;
  if (!args) return undefined;
  const doc = model.text;
  const esc = model.escapeChar;
  const stop = model.index.offsetAt(instr.range.end);
  let i = model.index.offsetAt(args.start);
  const pieces: string[] = [];
  const segments: Segment[] = [];
  let length = 0;
  while (i < stop) {
    const nl = doc.indexOf('\n', i);
    const eol = nl < 0 || nl > stop ? stop : nl;
    const lineEnd = eol > i && doc[eol - 1] === '\r' && doc[eol] === '\n' ? eol - 1 : eol;
    // A line continues when it ends with the escape character, maybe followed by blanks.
    let k = lineEnd;
    while (k > i && (doc[k - 1] === ' ' || doc[k - 1] === '\t')) k--;
    const continues = k > i && doc[k - 1] === esc;
    const end = continues ? k - 1 : lineEnd;
    segments.push({ at: length, doc: i });
    pieces.push(doc.slice(i, end));
    length += end - i;
    if (!continues) break;
    i = nextLine(doc, eol);
    // Blank and comment lines inside a continuation are not part of the instruction.
    while (i < stop) {
      const next = nextLine(doc, i);
      const content = doc.slice(i, next).trim();
      if (content !== '' && !content.startsWith('#')) break;
      i = next;
    }
  }
  return { text: pieces.join(''), segments };
}

function nextLine(doc: string, i: number): number {
  const nl = doc.indexOf('\n', i);
  return nl < 0 ? doc.length : nl + 1;
}

function execForm(instr: Instr, line: Joined): RunScript | undefined {
  if (!/^\s*\[/.test(line.text)) return undefined;
  try {
    const parsed = JSON.parse(line.text) as unknown;
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) return undefined;
  } catch {
    return undefined;
  }
  const words: ShellWord[] = [];
  for (const m of line.text.matchAll(/"(?:[^"\\]|\\.)*"/g)) {
    words.push({ value: JSON.parse(m[0]) as string, quoted: true, start: m.index, end: m.index + m[0].length });
  }
  const cmd: ShellCommand = { assignments: [], words, redirects: [], after: '', start: words[0]?.start ?? 0, end: words.at(-1)?.end ?? 0 };
  return mapScript(instr, { commands: words.length > 0 ? [cmd] : [], end: line.text.trimEnd().length, trailingOperator: '', unclosed: false }, line.segments, 'exec');
}

/** A word with document offsets; its LSP range is computed only if a finding points at it. */
class MappedWord implements RunWord {
  private cached: Range | undefined;
  constructor(
    /** Not the model: scripts outlive it (memoLocal), and ranges are the same in every version they reach. */
    private readonly instr: Instr,
    readonly value: string,
    readonly quoted: boolean,
    readonly start: number,
    readonly end: number,
  ) {}
  get range(): Range {
    return (this.cached ??= this.instr.rangeOf(this.start, this.end));
  }
}

/** A command with document offsets; its LSP range is computed only if a finding points at it. */
class MappedCommand implements RunCommand {
  private cached: Range | undefined;
  constructor(
    private readonly instr: Instr,
    readonly assignments: RunWord[],
    readonly words: RunWord[],
    readonly redirects: Array<{ op: string; target: RunWord | undefined }>,
    readonly after: ShellOperator,
    readonly origin: RunScript['origin'],
    private readonly start: number,
    private readonly end: number,
  ) {}
  get range(): Range {
    return (this.cached ??= this.instr.rangeOf(this.start, this.end));
  }
}

function mapScript(instr: Instr, s: ShellScript, segments: readonly Segment[], origin: RunScript['origin']): RunScript {
  const at = (k: number) => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.at <= k) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo];
    return seg ? seg.doc + (k - seg.at) : 0;
  };
  // An end maps to just after its last character, so a word that ends a continued line ends on that line.
  const endAt = (k: number) => (k <= 0 ? at(0) : at(k - 1) + 1);
  const word = (w: ShellWord): RunWord => new MappedWord(instr, w.value, w.quoted, at(w.start), endAt(w.end));
  return {
    origin,
    // A line of only redirections (`<<EOF` of a heredoc RUN) runs nothing.
    commands: s.commands
      .filter((c) => c.words.length > 0 || c.assignments.length > 0)
      .map(
        (c) =>
          new MappedCommand(
            instr,
            c.assignments.map(word),
            c.words.map(word),
            c.redirects.map((r) => ({ op: r.op, target: r.target ? word(r.target) : undefined })),
            c.after,
            origin,
            at(c.start),
            endAt(c.end),
          ),
      ),
    end: endAt(s.end),
    trailingOperator: s.trailingOperator,
    unclosed: s.unclosed,
  };
}

/**
 * BuildKit runs a heredoc body as a script when the RUN is just `<<EOF` (unless a shebang names another
 * interpreter); otherwise the body is the stdin of the command it is attached to, which makes it a script
 * only when that command is a shell reading stdin (`bash -e <<EOF`), not `cat <<EOF > file` or `python3 <<EOF`.
 */
function heredocIsScript(h: HeredocModel, line: readonly ShellCommand[]): boolean {
  const name = h.name.replace(/^["']|["']$/g, '');
  const owner = line.find((c) => c.redirects.some((r) => /^\d*<<-?$/.test(r.op) && r.target?.value === name));
  if (!owner) return false;
  if (owner.words.length === 0) {
    if (line.length !== 1 || owner.redirects.length !== 1) return false;
    const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(h.content);
    if (!shebang) return true;
    const interp = basename(shebang[1]!) === 'env' ? (shebang[2] ?? '') : basename(shebang[1]!);
    return SHELLS.has(interp);
  }
  const p = programIndex(owner.words);
  if (p < 0 || !SHELLS.has(basename(owner.words[p]!.value))) return false;
  return owner.words.slice(p + 1).every((w) => /^-[a-zA-Z]*$/.test(w.value) && !/^-[a-zA-Z]*c/.test(w.value));
}
