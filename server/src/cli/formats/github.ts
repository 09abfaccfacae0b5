import type { RunReport } from '../report.ts';
import type { Severity } from '../../core/types.ts';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

// GitHub workflow commands: data escapes %, CR, LF; properties also escape : and ,.
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function formatGithub(run: RunReport): string {
  const out: string[] = [];
  for (const p of run.problems) out.push(`::error file=${prop(p.file)},line=${p.line},col=${p.column},title=${prop('plimsoll')}::${data(p.message)}`);
  for (const f of run.files) {
    for (const x of f.findings) {
      const props = [
        `file=${prop(f.repoPath)}`,
        `line=${x.range.start.line + 1}`,
        `col=${x.range.start.character + 1}`,
        `endLine=${x.range.end.line + 1}`,
        ...(x.range.start.line === x.range.end.line ? [`endColumn=${x.range.end.character + 1}`] : []),
        `title=${prop(`${x.ruleId} ${x.ruleName}`)}`,
      ];
      out.push(`::${COMMAND[x.severity]} ${props.join(',')}::${data(x.message)}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
