import type { RunReport } from '../report.ts';
import type { Severity } from '../../core/types.ts';

const COLORS: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };

export function formatText(run: RunReport, options: { color: boolean; quiet: boolean }): string {
  const paint = (s: string, code: string) => (options.color ? `${code}${s}\x1b[0m` : s);
  const out: string[] = [];
  for (const p of run.problems) out.push(`${p.file}:${p.line}:${p.column}: ${paint('error', COLORS.error)} ${p.message}`);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  let fixed = 0;
  for (const f of run.files) {
    fixed += f.fixed;
    for (const x of f.findings) {
      counts[x.severity]++;
      const pos = `${f.display}:${x.range.start.line + 1}:${x.range.start.character + 1}`;
      const fixable = x.fixes.some((k) => k.applicability === 'safe') ? ' (fixable)' : '';
      out.push(`${pos}: ${paint(x.severity, COLORS[x.severity])} ${x.ruleId} ${x.message}${fixable} [${x.ruleName}]`);
    }
  }
  if (!options.quiet) {
    const total = counts.error + counts.warning + counts.info;
    const parts = [`${run.files.length} file${run.files.length === 1 ? '' : 's'} checked`, `${total} finding${total === 1 ? '' : 's'} (${counts.error} errors, ${counts.warning} warnings, ${counts.info} info)`];
    if (fixed > 0) parts.push(`${fixed} fixed`);
    const suppressed = run.files.reduce((n, f) => n + f.suppressed.length, 0);
    if (suppressed > 0) parts.push(`${suppressed} suppressed`);
    out.push(parts.join(', '));
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
