// Code actions from findings: each fix as a quick-fix (the safe one preferred), "Suppress PLxxx with a
// reason", "Open docs for PLxxx" (a client-side command) and `source.fixAll.plimsoll` with the safe fixes
// only. With lazy resolution the actions carry `data` and their edit is computed in `codeAction/resolve`.
import { dirname, join } from 'node:path';
import {
  CodeActionKind,
  type CodeAction,
  type CreateFile,
  type Diagnostic,
  type TextDocumentEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { FileEdit, Finding, TextEdit } from '../core/types.ts';
import { planFixes } from '../core/fixes.ts';
import { ruleDocsUrl } from '../rules/index.ts';
import type { CheckState } from './checker.ts';
import { SOURCE, isDiagnosticData, visibleFindings } from './diagnostics.ts';
import { pathToUri } from './documents.ts';
import { FIX_ALL_KIND, OPEN_RULE_DOCS_COMMAND } from './protocol.ts';

/** Rules about suppression itself, which a pragma cannot hide. */
const UNSUPPRESSIBLE = new Set(['PL901', 'PL902']);

export interface EditSupport {
  /** `workspace.workspaceEdit.documentChanges` */
  documentChanges: boolean;
  /** `create` in `workspace.workspaceEdit.resourceOperations` */
  createFiles: boolean;
  /** The open version of a sibling file, or null when it is not open. */
  versionOf: (uri: string) => number | null;
}

export type ActionData =
  | { plimsoll: 'fix'; uri: string; fingerprint: string; fix: number }
  | { plimsoll: 'suppress'; uri: string; fingerprint: string }
  | { plimsoll: 'fixAll'; uri: string };

export function isActionData(v: unknown): v is ActionData {
  const d = v as { plimsoll?: unknown; uri?: unknown } | null;
  return typeof d === 'object' && d !== null && typeof d.uri === 'string' && (d.plimsoll === 'fix' || d.plimsoll === 'suppress' || d.plimsoll === 'fixAll');
}

export interface ActionRequest {
  state: CheckState;
  diagnostics: readonly Diagnostic[];
  only: readonly string[] | undefined;
  /** Leave edits to `codeAction/resolve`. */
  lazy: boolean;
  support: EditSupport;
}

const wants = (only: readonly string[] | undefined, kind: string): boolean => !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));

/** The finding a diagnostic came from: by fingerprint, else (a client that drops `data`) by rule and range. */
export function findingFor(state: CheckState, d: Diagnostic): Finding | undefined {
  const findings = state.result?.findings ?? [];
  if (isDiagnosticData(d.data)) {
    const byPrint = findings.find((f) => f.fingerprint === (d.data as { fingerprint: string }).fingerprint);
    if (byPrint) return byPrint;
  }
  return findings.find(
    (f) =>
      f.ruleId === d.code &&
      f.range.start.line === d.range.start.line &&
      f.range.start.character === d.range.start.character &&
      f.range.end.line === d.range.end.line &&
      f.range.end.character === d.range.end.character,
  );
}

export function codeActions(req: ActionRequest): CodeAction[] {
  const { state, only } = req;
  if (!state.result) return [];
  const out: CodeAction[] = [];
  const docsFor = new Map<string, Diagnostic[]>();

  if (wants(only, CodeActionKind.QuickFix)) {
    for (const d of req.diagnostics) {
      if (d.source !== SOURCE || typeof d.code !== 'string') continue;
      const finding = findingFor(state, d);
      if (finding) {
        let preferredTaken = false;
        finding.fixes.forEach((fix, i) => {
          // Computed even when lazy: it is cheap, and an action the client cannot apply is not offered.
          const edit = fixEdit(state, fix.changes, req.support);
          if (!edit) return;
          const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d] };
          if (fix.applicability === 'safe' && !preferredTaken) {
            action.isPreferred = true;
            preferredTaken = true;
          }
          if (req.lazy) action.data = { plimsoll: 'fix', uri: state.uri, fingerprint: finding.fingerprint, fix: i } satisfies ActionData;
          else action.edit = edit;
          out.push(action);
        });
        if (canSuppress(state, finding)) {
          const action: CodeAction = { title: `Suppress ${finding.ruleId} with a reason`, kind: CodeActionKind.QuickFix, diagnostics: [d] };
          if (req.lazy) action.data = { plimsoll: 'suppress', uri: state.uri, fingerprint: finding.fingerprint } satisfies ActionData;
          else {
            const edit = suppressEdit(state, finding, req.support);
            if (!edit) continue;
            action.edit = edit;
          }
          out.push(action);
        }
      }
      docsFor.set(d.code, [...(docsFor.get(d.code) ?? []), d]);
    }
    for (const [ruleId, diagnostics] of docsFor) {
      const url = ruleDocsUrl(ruleId);
      const title = `Open docs for ${ruleId}`;
      out.push({ title, kind: CodeActionKind.QuickFix, diagnostics, command: { title, command: OPEN_RULE_DOCS_COMMAND, arguments: [url] } });
    }
  }

  if (wants(only, FIX_ALL_KIND)) {
    const edit = fixAllEdit(state, req.support);
    if (edit) {
      const action: CodeAction = { title: 'Fix all safe Plimsoll problems', kind: FIX_ALL_KIND };
      if (req.lazy) action.data = { plimsoll: 'fixAll', uri: state.uri } satisfies ActionData;
      else action.edit = edit;
      out.push(action);
    }
  }
  return out;
}

/** Computes the edit of a lazily offered action against the current state; undefined when it no longer applies. */
export function resolveEdit(state: CheckState, data: ActionData, support: EditSupport): WorkspaceEdit | undefined {
  if (!state.result) return undefined;
  if (data.plimsoll === 'fixAll') return fixAllEdit(state, support);
  const finding = state.result.findings.find((f) => f.fingerprint === data.fingerprint);
  if (!finding) return undefined;
  if (data.plimsoll === 'suppress') return canSuppress(state, finding) ? suppressEdit(state, finding, support) : undefined;
  const fix = finding.fixes[data.fix];
  return fix ? fixEdit(state, fix.changes, support) : undefined;
}

function fixAllEdit(state: CheckState, support: EditSupport): WorkspaceEdit | undefined {
  if (!state.result) return undefined;
  const plan = planFixes(visibleFindings(state.result.findings, state.settings));
  if (plan.applied.length === 0) return undefined;
  const changes: FileEdit[] = [{ edits: plan.document }];
  for (const [file, c] of plan.files) changes.push({ file, create: c.create, edits: c.edits });
  return fixEdit(state, changes, support);
}

function canSuppress(state: CheckState, f: Finding): boolean {
  return state.policy.allowInlineSuppression && !UNSUPPRESSIBLE.has(f.ruleId) && instructionAt(state, f.range.start.line) !== undefined;
}

function instructionAt(state: CheckState, line: number) {
  return state.result?.model.instructions.find((i) => i.range.start.line <= line && line <= i.range.end.line);
}

const PRAGMA_LINE_RE = /^(\s*#\s*plimsoll\s+ignore\s*=\s*)([A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)/i;

/** `# plimsoll ignore=ID reason=""` above the instruction, indented like it; or the id added to a pragma already there. */
export function suppressionEdits(state: CheckState, f: Finding): TextEdit[] | undefined {
  const model = state.result?.model;
  const instr = instructionAt(state, f.range.start.line);
  if (!model || !instr) return undefined;
  const line = instr.range.start.line;
  const above = line > 0 ? model.index.lineText(line - 1) : '';
  const m = PRAGMA_LINE_RE.exec(above);
  if (m) {
    const ids = m[2]!.split(/\s*,\s*/).map((x) => x.toUpperCase());
    if (ids.includes(f.ruleId)) return undefined;
    const at = { line: line - 1, character: m[1]!.length + m[2]!.length };
    return [{ range: { start: at, end: at }, newText: `,${f.ruleId}` }];
  }
  const text = model.index.lineText(line);
  const indent = /^[ \t]*/.exec(text)![0];
  const eol = state.text.includes('\r\n') ? '\r\n' : '\n';
  const at = { line, character: 0 };
  return [{ range: { start: at, end: at }, newText: `${indent}# plimsoll ignore=${f.ruleId} reason=""${eol}` }];
}

function suppressEdit(state: CheckState, f: Finding, support: EditSupport): WorkspaceEdit | undefined {
  const edits = suppressionEdits(state, f);
  return edits ? fixEdit(state, [{ edits }], support) : undefined;
}

/**
 * A WorkspaceEdit for a fix: a versioned edit of the Dockerfile, and for sibling files (`.dockerignore`) a
 * `CreateFile` when needed plus an edit. Undefined when the client cannot apply it (a file to create and no
 * resource operations, or a sibling of an untitled document).
 */
export function fixEdit(state: CheckState, changes: readonly FileEdit[], support: EditSupport): WorkspaceEdit | undefined {
  const byUri = new Map<string, { create: boolean; edits: TextEdit[]; self: boolean }>();
  for (const c of changes) {
    let uri = state.uri;
    if (c.file !== undefined) {
      if (!state.path) return undefined;
      uri = pathToUri(join(dirname(state.path), c.file));
    }
    const entry = byUri.get(uri) ?? { create: false, edits: [], self: c.file === undefined };
    entry.create ||= c.create === true;
    entry.edits.push(...c.edits);
    byUri.set(uri, entry);
  }
  if ([...byUri.values()].every((e) => e.edits.length === 0 && !e.create)) return undefined;
  if (!support.documentChanges) {
    if ([...byUri.values()].some((e) => e.create)) return undefined;
    const map: Record<string, TextEdit[]> = {};
    for (const [uri, e] of byUri) if (e.edits.length > 0) map[uri] = e.edits;
    return { changes: map };
  }
  const documentChanges: Array<TextDocumentEdit | CreateFile> = [];
  for (const [uri, e] of byUri) {
    if (e.create) {
      if (!support.createFiles) return undefined;
      documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: true } });
    }
    if (e.edits.length === 0) continue;
    const version = e.self ? state.version : e.create ? null : support.versionOf(uri);
    documentChanges.push({ textDocument: { uri, version }, edits: e.edits });
  }
  return { documentChanges };
}
