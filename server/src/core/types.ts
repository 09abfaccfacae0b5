// The data the engine returns. Every face (CLI, language server) renders these and nothing else.

/** 0-based line and UTF-16 character, as LSP counts them. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITY_ORDER: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export type Category = 'base-image' | 'registry' | 'pinning' | 'secret' | 'size' | 'policy';

/** `safe` fixes go into fix-all and `--fix`; `unsafe` ones only as offered quick-fixes. */
export type Applicability = 'safe' | 'unsafe';

export interface TextEdit {
  range: Range;
  newText: string;
}

/**
 * A fix may edit the Dockerfile itself (no `file`) or a sibling file such as `.dockerignore`
 * (`file` relative to the Dockerfile's folder; `create` when it does not exist yet).
 */
export interface FileEdit {
  file?: string;
  create?: boolean;
  edits: TextEdit[];
}

export interface Fix {
  title: string;
  applicability: Applicability;
  changes: FileEdit[];
}

export interface Finding {
  ruleId: string;
  ruleName: string;
  category: Category;
  severity: Severity;
  range: Range;
  message: string;
  /** Stable across edits that only move lines: rule id, stage name and what was found. */
  fingerprint: string;
  fixes: Fix[];
  /** The stage name (or `#n`) and normalised image the finding is about, when it is about one. */
  stage?: string;
  image?: string;
  /** Set when a waiver or an inline pragma hid this finding; faces drop suppressed findings. */
  suppressed?: { by: 'waiver' | 'inline'; reason: string };
}

export function range(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}

/**
 * Rule ids (`PL101`) by code unit. Not localeCompare: its first call loads ICU's collator, about 10 ms of a
 * CLI run that sorts two findings at the same place.
 */
export function compareRuleIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}
