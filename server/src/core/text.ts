// Offsets and positions over one document, counted the way LSP does (UTF-16 units, `\r\n` or `\n`).
import type { Position, Range } from './types.ts';

export class TextIndex {
  readonly lineStarts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Length of a line without its line break. */
  lineLength(line: number): number {
    const start = this.lineStarts[line];
    if (start === undefined) return 0;
    let end = this.lineStarts[line + 1] ?? this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return end - start;
  }

  lineText(line: number): string {
    const start = this.lineStarts[line] ?? this.text.length;
    return this.text.slice(start, start + this.lineLength(line));
  }

  offsetAt(p: Position): number {
    if (p.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[Math.max(0, p.line)]!;
    return start + Math.min(Math.max(0, p.character), this.lineLength(p.line));
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: Math.min(o - this.lineStarts[lo]!, this.lineLength(lo)) };
  }

  rangeOf(startOffset: number, endOffset: number): Range {
    return { start: this.positionAt(startOffset), end: this.positionAt(endOffset) };
  }

  slice(r: Range): string {
    return this.text.slice(this.offsetAt(r.start), this.offsetAt(r.end));
  }

  /** True when the range lies inside the document (what the corpus test checks of every finding). */
  contains(r: Range): boolean {
    const ok = (p: Position) => p.line >= 0 && p.line < this.lineCount && p.character >= 0 && p.character <= this.lineLength(p.line);
    return ok(r.start) && ok(r.end) && (r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character));
  }
}
