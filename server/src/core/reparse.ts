// dockerfile-ast parses a whole document at once. An editor re-checks the document after every keystroke,
// and on a 10,000-instruction file that parse alone costs about 75 ms. An IncrementalParser keeps the
// document cut into chunks of whole instructions and, for a new version, re-parses only the chunks the edit
// touched; the others keep their parse. Pure: no I/O, one instance per open document.
//
// Why this is exact: dockerfile-ast's parser carries no state from one instruction to the next except the
// escape character (from the directives at the top). So where an instruction starts at the start of a line,
// the parse from there on depends only on the text from there on. A chunk starts at such a line; after
// re-parsing an edited region, the chunk that follows it is checked to still start an instruction (an edit
// can add a line continuation or open a heredoc that runs on); if it does not, the region grows.
import { DockerfileParser, type Comment, type Instruction } from 'dockerfile-ast';
import type { Range } from './types.ts';
import { TextIndex } from './text.ts';

/** An instruction node with the line shift that takes its ranges to the document's lines. */
export interface ParsedNode {
  node: Instruction;
  /** Add to every line dockerfile-ast reports for this node. */
  shift: number;
  /**
   * The model's view of this instruction, kept while the node's text and position in the document stay
   * the same (the same ParsedNode is handed out again only then), so its derived views need no recompute.
   */
  view?: unknown;
}

export interface ParsedDocument {
  escapeChar: string;
  directives: Array<{ name: string; value: string; range: Range }>;
  comments: Array<{ line: number; text: string; range: Range }>;
  nodes: ParsedNode[];
}

interface Chunk {
  /** Offsets in the current text; `end` is the next chunk's `start` (or the text's length). */
  start: number;
  end: number;
  /** The line the chunk starts on in the current text, and in the text it was parsed from. */
  line: number;
  parseLine: number;
  nodes: Instruction[];
  comments: Comment[];
  /** Handed out by collect(); dropped when the chunk moves. */
  parsed?: ParsedNode[];
}

interface Region {
  escapeChar: string;
  directives: ParsedDocument['directives'];
  nodes: Instruction[];
  comments: Comment[];
  /** Lines of the parsed text before the region's own first line (an `# escape=` line put in front). */
  prefixLines: number;
}

/**
 * Instructions per chunk: an edit re-parses about two chunks. Small, so that in a file of a few dozen
 * instructions an edit re-parses a handful and the rest keep their views (128 re-parsed all of such a file:
 * 52-line edit 1.3 -> 1.1 ms median, a third of the minor GCs; 2,308 lines 8.5 -> 7.1 ms; 10k unchanged).
 */
export const CHUNK_INSTRUCTIONS = 4;
const BLOCK = 4096;

export function shiftRange(r: Range, shift: number): Range {
  if (shift === 0) return r;
  return { start: { line: r.start.line + shift, character: r.start.character }, end: { line: r.end.line + shift, character: r.end.character } };
}

function parseText(text: string, escapeChar: string | undefined): Region {
  // A region after the first is parsed with the document's escape character, declared on a line in front.
  const prefix = escapeChar !== undefined && escapeChar !== '\\' ? `# escape=${escapeChar}\n` : '';
  const ast = DockerfileParser.parse(prefix + text);
  return {
    escapeChar: ast.getEscapeCharacter(),
    directives: prefix ? [] : ast.getDirectives().map((d) => ({ name: d.getName().toLowerCase(), value: d.getValue(), range: d.getRange() })),
    nodes: ast.getInstructions(),
    comments: ast.getComments(),
    prefixLines: prefix ? 1 : 0,
  };
}

export class IncrementalParser {
  private text: string | undefined;
  private chunks: Chunk[] = [];
  private escapeChar = '\\';
  private directives: ParsedDocument['directives'] = [];
  private result: ParsedDocument | undefined;
  /** How many instructions the last parse() actually re-parsed (for tests and the benchmark). */
  reparsed = 0;

  constructor(private readonly chunkSize = CHUNK_INSTRUCTIONS) {}

  parse(text: string, index: TextIndex = new TextIndex(text)): ParsedDocument {
    if (text === this.text && this.result) {
      this.reparsed = 0;
      return this.result;
    }
    const previous = this.text;
    try {
      this.text = text;
      if (previous === undefined || this.chunks.length === 0 || !this.update(previous, text, index)) this.parseAll(text, index);
      this.result = this.collect();
      return this.result;
    } catch (e) {
      // Half-updated chunks must not be diffed against next time: start over.
      this.text = undefined;
      this.chunks = [];
      this.result = undefined;
      throw e;
    }
  }

  private parseAll(text: string, index: TextIndex): void {
    const region = parseText(text, undefined);
    this.escapeChar = region.escapeChar;
    this.directives = region.directives;
    this.chunks = this.split(region, 0, text.length, index, 0);
    this.reparsed = region.nodes.length;
  }

  /** Re-parses the chunks an edit touched; false when the whole text has to be parsed again. */
  private update(old: string, text: string, index: TextIndex): boolean {
    const max = Math.min(old.length, text.length);
    // Whole blocks first (string comparison runs natively), then character by character.
    let prefix = 0;
    while (prefix + BLOCK <= max && old.slice(prefix, prefix + BLOCK) === text.slice(prefix, prefix + BLOCK)) prefix += BLOCK;
    while (prefix < max && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix + BLOCK <= max - prefix && old.slice(old.length - suffix - BLOCK, old.length - suffix) === text.slice(text.length - suffix - BLOCK, text.length - suffix)) suffix += BLOCK;
    while (suffix < max - prefix && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
    const delta = text.length - old.length;
    const chunks = this.chunks;
    // The chunk holding the character before the edit (a deleted line break joins it to the edit), and
    // the chunk holding the end of the edit in the old text.
    const first = chunkAt(chunks, Math.max(0, prefix - 1));
    let last = chunkAt(chunks, old.length - suffix);
    const from = chunks[first]!.start;
    for (;;) {
      // The chunk after the region must still start an instruction, else the region takes it in too.
      const check = chunks[last + 1];
      const end = check ? check.end + delta : text.length;
      // The first chunk holds the directives; if the escape character changed, every chunk parses anew.
      const region = parseText(text.slice(from, end), first === 0 ? undefined : this.escapeChar);
      if (first === 0) {
        if (region.escapeChar !== this.escapeChar) return false;
        this.directives = region.directives;
      }
      const fromLine = chunks[first]!.line;
      let ok = true;
      if (check) {
        const checkLine = index.positionAt(check.start + delta).line - fromLine + region.prefixLines;
        ok = region.nodes.some((n) => n.getRange().start.line === checkLine);
      }
      if (ok) {
        const rebuilt = this.split(region, from, end, index, fromLine);
        const kept = chunks.slice(last + 2).map((c): Chunk => {
          const line = index.positionAt(c.start + delta).line;
          const moved: Chunk = { start: c.start + delta, end: c.end + delta, line, parseLine: c.parseLine, nodes: c.nodes, comments: c.comments };
          if (delta === 0 && line === c.line && c.parsed) moved.parsed = c.parsed;
          return moved;
        });
        this.chunks = [...chunks.slice(0, first), ...rebuilt, ...kept];
        this.reparsed = region.nodes.length;
        return true;
      }
      last++;
      if (last >= chunks.length) return false;
    }
  }

  /** Cuts a parsed region into chunks of `chunkSize` instructions, each starting at its instruction's line. */
  private split(region: Region, from: number, to: number, index: TextIndex, fromLine: number): Chunk[] {
    const out: Chunk[] = [];
    const { nodes, comments, prefixLines } = region;
    let c = 0;
    for (let i = 0; i === 0 || i < nodes.length; i += this.chunkSize) {
      const startParseLine = i === 0 ? prefixLines : nodes[i]!.getRange().start.line;
      const nextIndex = i + this.chunkSize;
      const endParseLine = nextIndex < nodes.length ? nodes[nextIndex]!.getRange().start.line : Number.MAX_SAFE_INTEGER;
      const line = fromLine + startParseLine - prefixLines;
      const start = i === 0 ? from : index.lineStarts[line]!;
      const end = nextIndex < nodes.length ? index.lineStarts[fromLine + endParseLine - prefixLines]! : to;
      const own: Comment[] = [];
      while (c < comments.length && comments[c]!.getRange().start.line < endParseLine) own.push(comments[c++]!);
      out.push({ start, end, line, parseLine: startParseLine, nodes: nodes.slice(i, nextIndex), comments: own });
    }
    return out;
  }

  private collect(): ParsedDocument {
    const nodes: ParsedNode[] = [];
    const comments: ParsedDocument['comments'] = [];
    for (const chunk of this.chunks) {
      const shift = chunk.line - chunk.parseLine;
      chunk.parsed ??= chunk.nodes.map((node) => ({ node, shift }));
      for (const n of chunk.parsed) nodes.push(n);
      for (const c of chunk.comments) {
        const range = shiftRange(c.getRange(), shift);
        comments.push({ line: range.start.line, text: c.getContent(), range });
      }
    }
    return { escapeChar: this.escapeChar, directives: this.directives, comments, nodes };
  }
}

/** The index of the chunk whose [start, end) holds `offset`; the last chunk for the end of the text. */
function chunkAt(chunks: readonly Chunk[], offset: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chunks[mid]!.start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The whole text in one parse, as buildModel does without an IncrementalParser. */
export function parseDocument(text: string): ParsedDocument {
  const region = parseText(text, undefined);
  return {
    escapeChar: region.escapeChar,
    directives: region.directives,
    comments: region.comments.map((c) => ({ line: c.getRange().start.line, text: c.getContent(), range: c.getRange() })),
    nodes: region.nodes.map((node) => ({ node, shift: 0 })),
  };
}
