// Answers kept across lints, keyed by text. The editor lints the whole document again after every keystroke,
// and all but one or two of its instructions have the same text as last time; a pure function of that text
// (a secret scan, a shell split) need not run again. Pure: no I/O, bounded, and nothing here refers to a model.

/**
 * A copy of `text` that shares no memory with the document it was sliced from. V8 keeps a slice as a pointer
 * into its parent string, so a slice kept as a key (or a value sliced from it) would keep that whole version
 * of the document alive; the concatenation makes V8 flatten into a new string of this text only.
 */
export function ownCopy(text: string): string {
  return (` ${text}`).slice(1);
}

/** Bounds of one cache: cleared when it reaches either (tens of thousands of instructions, a few MB). */
const MAX_ENTRIES = 50_000;
const MAX_CHARS = 8_000_000;

/**
 * `compute(text)` remembered per text. `compute` must be pure, must not answer `undefined` (use null), and its
 * answer must not be changed by anyone: every caller with the same text gets the same object (freeze it).
 */
export class TextCache<T> {
  private readonly map = new Map<string, T>();
  private chars = 0;

  constructor(private readonly compute: (text: string) => T) {}

  get(text: string): T {
    const hit = this.map.get(text);
    if (hit !== undefined) return hit;
    // Computed on the copy, so that strings in the answer are slices of the copy, not of the document.
    const own = ownCopy(text);
    const value = this.compute(own);
    if (this.map.size >= MAX_ENTRIES || this.chars + own.length > MAX_CHARS) this.clear();
    this.map.set(own, value);
    this.chars += own.length;
    return value;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.chars = 0;
  }
}
