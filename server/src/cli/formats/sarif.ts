// SARIF 2.1.0, as GitHub code scanning reads it: rules with help and security-severity, repo-relative URIs
// under SRCROOT, 1-based columns with an exclusive end, and partialFingerprints that survive line moves.
import type { RunReport } from '../report.ts';
import type { Finding, Severity } from '../../core/types.ts';
import type { Rule } from '../../core/rule.ts';
import { allRules, ruleDocsUrl } from '../../rules/index.ts';
import { renderRuleDoc } from '../../rules/docs.ts';

const LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

function securitySeverity(rule: Rule): string {
  const base = { error: 8.0, warning: 5.5, info: 2.0 }[rule.severity];
  return (rule.category === 'secret' ? Math.max(base, 8.5) : base).toFixed(1);
}

function region(f: Finding) {
  return {
    startLine: f.range.start.line + 1,
    startColumn: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
  };
}

export function formatSarif(run: RunReport): string {
  const rules = allRules.filter((r) => r.status !== 'deprecated');
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = run.files.flatMap((file) =>
    file.findings.map((f) => ({
      ruleId: f.ruleId,
      ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(file.repoPath), uriBaseId: 'SRCROOT' }, region: region(f) } }],
      partialFingerprints: { 'plimsoll/v1': f.fingerprint },
      ...(f.fixes.length > 0
        ? {
            fixes: f.fixes.map((fix) => ({
              description: { text: `${fix.title} (${fix.applicability})` },
              artifactChanges: fix.changes.map((c) => ({
                artifactLocation: { uri: encodeURI(c.file ? joinRepo(file.repoPath, c.file) : file.repoPath), uriBaseId: 'SRCROOT' },
                replacements: c.edits.map((e) => ({
                  deletedRegion: { startLine: e.range.start.line + 1, startColumn: e.range.start.character + 1, endLine: e.range.end.line + 1, endColumn: e.range.end.character + 1 },
                  insertedContent: { text: e.newText },
                })),
              })),
            })),
          }
        : {}),
    })),
  );
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'plimsoll',
            version: run.version,
            semanticVersion: run.version,
            informationUri: 'https://github.com/plimsoll-dev/plimsoll',
            rules: rules.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.docs.summary },
              fullDescription: { text: r.docs.why },
              helpUri: ruleDocsUrl(r.id),
              help: { text: `${r.docs.summary}\n\n${r.docs.why}`, markdown: renderRuleDoc(r) },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: [r.category, ...(r.category === 'secret' ? ['security'] : [])], precision: 'high', 'security-severity': securitySeverity(r) },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: run.rootUri.endsWith('/') ? run.rootUri : `${run.rootUri}/` } },
        results,
        invocations: [
          {
            executionSuccessful: run.problems.length === 0,
            toolExecutionNotifications: run.problems.map((p) => ({
              level: 'error',
              message: { text: p.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(p.file) }, region: { startLine: p.line, startColumn: p.column } } }],
            })),
          },
        ],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function joinRepo(dockerfile: string, sibling: string): string {
  const dir = dockerfile.includes('/') ? dockerfile.slice(0, dockerfile.lastIndexOf('/') + 1) : '';
  const parts: string[] = [];
  for (const p of `${dir}${sibling}`.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}
