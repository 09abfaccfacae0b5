// Golden fixtures (STYLE.md): a fixture is a valid Dockerfile; expectations are comment lines under the line
// they point at, with carets under the range: `#    ^^^^^^^ warning[PL101]`. A range that starts at column 0
// is written `# [0:12] warning[PL502]`; one that ends on a later line adds `~L:C` (1-based line, 0-based
// column); one whose line cannot carry a comment under it (a heredoc body) adds `@N` (1-based target line).
// `UPDATE_GOLDEN=1` rewrites expectations and `<name>.fixed.Dockerfile` files.
import type { Finding } from '../../server/src/core/types.ts';
import { TextIndex } from '../../server/src/core/text.ts';

const EXPECT_RE = /^#(?:( *)(\^+)| \[(\d+):(\d+)\]) (error|warning|info)\[(PL\d+)\](?: ~(\d+):(\d+))?(?: @(\d+))?\s*$/;

export interface Expectation {
  ruleId: string;
  severity: string;
  line: number; // 0-based
  start: number;
  endLine: number;
  end: number;
}

export function isExpectationLine(line: string): boolean {
  return EXPECT_RE.test(line);
}

export function parseExpectations(text: string): Expectation[] {
  const lines = text.split('\n');
  const out: Expectation[] = [];
  let target = -1;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const m = EXPECT_RE.exec(line);
    if (!m) {
      target = i;
      return;
    }
    const at = m[9] ? Number(m[9]) - 1 : target;
    const start = m[2] ? m[1]!.length + 1 : Number(m[3]);
    const end = m[2] ? start + m[2].length : Number(m[4]);
    const endLine = m[7] ? Number(m[7]) - 1 : at;
    out.push({ ruleId: m[6]!, severity: m[5]!, line: at, start, endLine, end: m[8] ? Number(m[8]) : end });
  });
  return out;
}

export function findingToExpectation(f: Finding): Expectation {
  return { ruleId: f.ruleId, severity: f.severity, line: f.range.start.line, start: f.range.start.character, endLine: f.range.end.line, end: f.range.end.character };
}

export function expectationKey(e: Expectation): string {
  return `${e.line + 1}:${e.start}-${e.endLine + 1}:${e.end} ${e.severity}[${e.ruleId}]`;
}

export function stripExpectations(text: string): string {
  return text
    .split('\n')
    .filter((l) => !isExpectationLine(l.replace(/\r$/, '')))
    .join('\n');
}

/** Lines that are inside a heredoc body and so cannot take a comment line under them. */
export type HeredocLines = (line: number) => boolean;

/**
 * Writes expectations into `text` (which has none). Returns the new text; the caller re-lints it and
 * checks the positions line up, since inserted lines move everything below them.
 */
export function writeExpectations(text: string, findings: Finding[], inHeredoc: HeredocLines): string {
  const index = new TextIndex(text);
  const lines = text.split('\n');
  const under = new Map<number, Array<{ f: Finding; explicit: boolean }>>();
  for (const f of findings) {
    let anchor = f.range.start.line;
    let explicit = false;
    // Move a comment below the heredoc's closing line when the range starts inside a body.
    while (inHeredoc(anchor) && anchor < lines.length - 1) {
      anchor++;
      explicit = true;
    }
    if (inHeredoc(anchor)) explicit = true;
    under.set(anchor, [...(under.get(anchor) ?? []), { f, explicit }]);
  }
  // Insert from the bottom so earlier line numbers stay valid while we work; then fix up targets.
  const inserted: Array<{ after: number; items: Array<{ f: Finding; explicit: boolean }> }> = [...under.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([after, items]) => ({ after, items }));
  const out: string[] = [];
  let shift = 0;
  const shiftOf = (line: number) => inserted.filter((x) => x.after < line).reduce((n, x) => n + x.items.length, 0);
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]!);
    const here = inserted.find((x) => x.after === i);
    if (!here) continue;
    for (const { f, explicit } of here.items) {
      const s = f.range.start;
      const e = f.range.end;
      const newLine = s.line + shiftOf(s.line);
      const multi = e.line !== s.line;
      const endCol = multi ? Math.max(s.character + 1, index.lineLength(s.line)) : Math.max(e.character, s.character + 1);
      let mark: string;
      if (s.character === 0 || (!multi && e.character === s.character) || endCol - s.character > 200) mark = `# [${s.character}:${multi ? endCol : e.character}]`;
      else mark = `#${' '.repeat(s.character - 1)}${'^'.repeat(endCol - s.character)}`;
      let line = `${mark} ${f.severity}[${f.ruleId}]`;
      if (multi) line += ` ~${e.line + shiftOf(e.line) + 1}:${e.character}`;
      if (explicit) line += ` @${newLine + 1}`;
      out.push(line);
    }
    shift += here.items.length;
  }
  void shift;
  return out.join('\n');
}
