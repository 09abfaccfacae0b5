// Applying fixes: text edits on one document, non-overlapping, last first so offsets stay valid.
import type { Finding, Fix, TextEdit } from './types.ts';
import { comparePositions } from './types.ts';
import { TextIndex } from './text.ts';

export function applyEdits(text: string, edits: TextEdit[]): string {
  const index = new TextIndex(text);
  const sorted = [...edits].sort((a, b) => comparePositions(b.range.start, a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, index.offsetAt(e.range.start)) + e.newText + out.slice(index.offsetAt(e.range.end));
  return out;
}

export interface FixPlan {
  /** Edits to the Dockerfile itself. */
  document: TextEdit[];
  /** Edits to sibling files, by path relative to the Dockerfile's folder. */
  files: Map<string, { create: boolean; edits: TextEdit[] }>;
  applied: Finding[];
}

/**
 * Picks one fix per finding (the first safe one, or the first at all with `includeUnsafe`) and drops fixes
 * whose Dockerfile edits overlap an already chosen one; the next run picks them up.
 */
export function planFixes(findings: Finding[], includeUnsafe = false): FixPlan {
  const plan: FixPlan = { document: [], files: new Map(), applied: [] };
  const taken: TextEdit[] = [];
  for (const f of findings) {
    const fix: Fix | undefined = f.fixes.find((x) => includeUnsafe || x.applicability === 'safe');
    if (!fix) continue;
    const docEdits = fix.changes.filter((c) => c.file === undefined).flatMap((c) => c.edits);
    if (docEdits.some((e) => taken.some((t) => overlaps(e, t)))) continue;
    taken.push(...docEdits);
    plan.document.push(...docEdits);
    for (const c of fix.changes) {
      if (c.file === undefined) continue;
      const entry = plan.files.get(c.file) ?? { create: c.create ?? false, edits: [] };
      for (const e of c.edits) if (!entry.edits.some((x) => x.newText === e.newText)) entry.edits.push(e);
      plan.files.set(c.file, entry);
    }
    plan.applied.push(f);
  }
  return plan;
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  const aEmpty = comparePositions(a.range.start, a.range.end) === 0;
  const bEmpty = comparePositions(b.range.start, b.range.end) === 0;
  if (aEmpty && bEmpty) return comparePositions(a.range.start, b.range.start) === 0;
  return comparePositions(a.range.start, b.range.end) < 0 && comparePositions(b.range.start, a.range.end) < 0;
}
