// Inline pragmas (`# plimsoll ignore=`, hadolint's `# hadolint ignore=`) and policy waivers.
import type { DockerfileModel } from './model.ts';
import type { Range } from './types.ts';
import type { Waiver } from './policy.ts';
import { globMatch } from './glob.ts';

export interface Pragma {
  /** Rule ids this pragma names, hadolint codes already mapped to ours. */
  ruleIds: Set<string>;
  /** The codes as written (for messages about unknown ones). */
  written: string[];
  reason: string;
  range: Range;
  /** Lines the pragma covers: the next instruction, or the whole file for `global`. */
  fromLine: number;
  toLine: number;
  source: 'plimsoll' | 'hadolint';
}

const PRAGMA_RE = /^#\s*(plimsoll|hadolint)\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s-]+?)(?:\s+reason\s*=\s*"([^"]*)"|\s+reason\s*=\s*(\S+))?\s*$/i;

export function findPragmas(model: DockerfileModel, hadolintMap: Map<string, string[]>): Pragma[] {
  const pragmas: Pragma[] = [];
  const lines = model.index;
  // Comments that dockerfile-ast folds into an instruction (inside a continuation) are still pragmas; read lines.
  let instrStarts: number[] | undefined;
  for (let line = 0; line < lines.lineCount; line++) {
    // Most lines start with a keyword's letter: no pragma, and no need to slice them.
    const first = lines.text.charCodeAt(lines.lineStarts[line]!) | 0x20;
    if (first >= 0x61 && first <= 0x7a) continue;
    const text = lines.lineText(line);
    const trimmed = text.trimStart();
    if (!trimmed.startsWith('#')) continue;
    const m = PRAGMA_RE.exec(trimmed);
    if (!m) continue;
    const source = m[1]!.toLowerCase() as 'plimsoll' | 'hadolint';
    const global = Boolean(m[2]);
    const written = m[3]!.split(/[\s,]+/).filter(Boolean);
    const ruleIds = new Set<string>();
    for (const code of written) {
      const upper = code.toUpperCase();
      if (source === 'hadolint') for (const id of hadolintMap.get(upper) ?? []) ruleIds.add(id);
      else ruleIds.add(upper);
    }
    const col = text.length - trimmed.length;
    const range = { start: { line, character: col }, end: { line, character: text.length } };
    let fromLine = 0;
    let toLine = lines.lineCount;
    if (!global) {
      instrStarts ??= model.instructions.map((i) => i.range.start.line);
      const starts = instrStarts;
      const next = model.instructions.find((_, k) => starts[k]! > line);
      if (!next) continue;
      fromLine = next.range.start.line;
      toLine = next.range.end.line;
    }
    pragmas.push({ ruleIds, written, reason: m[4] ?? m[5] ?? '', range, fromLine, toLine, source });
  }
  return pragmas;
}

export interface WaiverSubject {
  ruleId: string;
  /** Path relative to the nearest policy's folder. */
  file: string;
  /** Absolute `/`-separated path, so that an inherited waiver matches paths relative to its own folder. */
  absolutePath?: string;
  stage?: string;
  image?: string;
}

export function waiverMatches(w: Waiver, s: WaiverSubject): boolean {
  if (!w.rules.includes(s.ruleId) && !w.rules.includes('*')) return false;
  if (w.file !== undefined && !globMatch(w.file, waiverPath(w, s))) return false;
  if (w.stage !== undefined && w.stage.toLowerCase() !== (s.stage ?? '').toLowerCase()) return false;
  if (w.image !== undefined && (s.image === undefined || !globMatch(w.image, s.image))) return false;
  return true;
}

function waiverPath(w: Waiver, s: WaiverSubject): string {
  if (w.baseDir === undefined || s.absolutePath === undefined) return s.file;
  const base = `${w.baseDir.replace(/\\/g, '/').replace(/\/$/, '')}/`;
  const abs = s.absolutePath.replace(/\\/g, '/');
  return abs.startsWith(base) ? abs.slice(base.length) : s.file;
}

/** A waiver is in force through its `expires` day. */
export function waiverExpired(w: Waiver, today: string): boolean {
  return w.expires !== undefined && w.expires < today;
}
