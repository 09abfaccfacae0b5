// Findings and policy errors as LSP diagnostics.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../core/types.ts';
import type { PolicyError } from '../policy/types.ts';
import { ruleDocsUrl } from '../rules/index.ts';
import type { PlimsollSettings } from './protocol.ts';

export const SOURCE = 'plimsoll';

/** What a diagnostic carries so code actions can find their finding again (by fingerprint, not by range). */
export interface DiagnosticData {
  fingerprint: string;
  ruleId: string;
  /** The document version the diagnostic was computed for. */
  version: number;
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  const d = v as Partial<DiagnosticData> | null;
  return typeof d === 'object' && d !== null && typeof d.fingerprint === 'string' && typeof d.ruleId === 'string';
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** The editor-only override from settings, or the finding's own severity; undefined hides the finding. */
export function displaySeverity(f: Finding, settings: PlimsollSettings): Severity | undefined {
  const o = settings.severity[f.ruleId];
  if (o === 'off') return undefined;
  return o ?? f.severity;
}

export function visibleFindings(findings: readonly Finding[], settings: PlimsollSettings): Finding[] {
  return findings.filter((f) => displaySeverity(f, settings) !== undefined);
}

export function toDiagnostic(f: Finding, version: number, settings: PlimsollSettings): Diagnostic | undefined {
  const severity = displaySeverity(f, settings);
  if (!severity) return undefined;
  const data: DiagnosticData = { fingerprint: f.fingerprint, ruleId: f.ruleId, version };
  return {
    range: f.range,
    severity: SEVERITY[severity],
    code: f.ruleId,
    codeDescription: { href: ruleDocsUrl(f.ruleId) },
    source: SOURCE,
    message: f.message,
    data,
  };
}

export function findingDiagnostics(findings: readonly Finding[], version: number, settings: PlimsollSettings): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of findings) {
    const d = toDiagnostic(f, version, settings);
    if (d) out.push(d);
  }
  return out;
}

/**
 * Policy errors are 1-based with an exclusive end; LSP is 0-based. A missing end marks to the end of the
 * line when its length is known (some clients reject out-of-range characters), else one character.
 */
export function policyErrorDiagnostic(e: PolicyError, lineLength?: (line: number) => number | undefined): Diagnostic {
  const line = Math.max(0, e.line - 1);
  const character = Math.max(0, e.column - 1);
  const endLine = e.endLine !== undefined ? Math.max(line, e.endLine - 1) : line;
  const endCharacter = e.endColumn !== undefined ? Math.max(0, e.endColumn - 1) : (lineLength?.(line) ?? character + 1);
  const d: Diagnostic = {
    range: { start: { line, character }, end: { line: endLine, character: endLine === line ? Math.max(character, endCharacter) : endCharacter } },
    severity: e.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    message: e.message,
  };
  if (e.code) d.code = e.code;
  return d;
}

export function tooLargeDiagnostic(chars: number, limit: number): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: SOURCE,
    message: `Not checked in the editor: the file has ${chars} characters (the limit is ${limit}). Run \`plimsoll lint\` on it.`,
  };
}
