// The estate report as Markdown (for a pull request comment or a wiki page). Text from the estate is
// escaped so that a path or a reason cannot break a table or inject markup.
import type { EstatePin, EstateReport, EstateVerdict } from '../../core/estate.ts';
import { ESTATE_PINS } from '../../core/estate.ts';
import { formatBytes } from '../../core/units.ts';
import type { EstateMeta } from './json.ts';

/** Escapes Markdown and inline HTML, and keeps a cell on one line. */
export function md(s: string | number): string {
  return String(s)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/</g, '&lt;');
}

const PIN_LABELS: Record<EstatePin, string> = { digest: 'digest', exact: 'exact tag', floating: 'floating', latest: 'latest', untagged: 'no tag' };
const VERDICT_LABELS: Record<EstateVerdict, string> = { approved: 'approved', denied: 'denied', unapproved: 'not on the allowlist', untrusted: 'untrusted registry' };

function table(head: string[], rows: string[][], empty: string, right: ReadonlySet<number> = new Set()): string {
  if (rows.length === 0) return `_${empty}_\n`;
  const sep = head.map((_, i) => (right.has(i) ? '---:' : '---'));
  return [`| ${head.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

export function renderEstateMarkdown(report: EstateReport, meta: EstateMeta): string {
  const s = report.summary;
  const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
  const out: string[] = [];
  out.push(`# Base-image estate, ${md(report.today)}`, '');
  out.push(
    table(
      ['Figure', 'Value'],
      [
        ['Dockerfiles', String(s.files)],
        ['Stages', String(s.stages)],
        ['Base image uses', String(s.baseImageUses)],
        ['Distinct base images', String(s.distinctBaseImages)],
        ['Pinned by digest', pct(s.digestShare)],
        ['Uses not approved', String(s.notApproved)],
        ['Secret findings', String(s.secretFindings)],
        ['Size findings', String(s.sizeFindings)],
        [`Waivers expiring within ${report.soonDays} days`, String(s.waiversExpiringSoon)],
        ['Waivers expired', String(s.waiversExpired)],
      ],
      '',
      new Set([1]),
    ),
  );
  out.push('## Pin state', '');
  out.push(table(ESTATE_PINS.map((p) => PIN_LABELS[p]), [ESTATE_PINS.map((p) => String(s.pins[p]))], '', new Set(ESTATE_PINS.map((_, i) => i))));
  out.push('## Base images by use', '');
  out.push(
    table(
      ['Image', 'Uses', 'Dockerfiles', 'Digest', 'Not approved', 'Tags'],
      report.baseImages.map((b) => [`\`${b.image.replace(/`/g, '')}\``, String(b.uses), String(b.files), String(b.pins.digest), String(b.notApproved), md(b.tags.slice(0, 6).map((t) => `${t.tag} (${t.uses})`).join(', '))]),
      'No base images.',
      new Set([1, 2, 3, 4]),
    ),
  );
  out.push('## Images not approved', '');
  out.push(
    table(
      ['Image', 'Why', 'Detail', 'Uses', 'Dockerfiles'],
      report.notApproved.map((r) => [md(r.image), VERDICT_LABELS[r.verdict], md(r.reason ?? ''), String(r.uses), md(r.files.slice(0, 5).join(', ') + (r.files.length > 5 ? ` and ${r.files.length - 5} more` : ''))]),
      'Every base image in use is approved.',
      new Set([3]),
    ),
  );
  if (report.sizes.length > 0) {
    out.push('## Largest base images', '');
    out.push(table(['Image', 'Size', 'Uses'], report.sizes.slice(0, 20).map((z) => [md(z.image), formatBytes(z.bytes), String(z.uses)]), '', new Set([1, 2])));
  }
  out.push('## Waivers', '');
  out.push(
    table(
      ['Rules', 'Owner', 'Expires', 'Status', 'Reason', 'Hidden', 'Declared at'],
      report.waivers.map((w) => [md(w.rules.join(', ')), md(w.owner ?? '—'), md(w.expires ?? '—'), w.status, md(w.reason), String(w.hidden), md(`${w.policy}:${w.line}`)]),
      'No waivers.',
      new Set([5]),
    ),
  );
  out.push('## Secret and size findings by rule', '');
  out.push(table(['Rule', 'Name', 'Findings', 'Dockerfiles', 'Suppressed'], report.rules.map((r) => [r.ruleId, md(r.ruleName), String(r.findings), String(r.files), String(r.suppressed)]), 'No secret or size findings.', new Set([2, 3, 4])));
  out.push('## Dockerfiles', '');
  const rows: string[][] = [];
  for (const f of report.files) {
    for (const st of f.stages) {
      rows.push([
        md(f.path),
        md(st.name ?? `#${st.index}`),
        md(st.kind === 'image' ? (st.image ?? st.resolved) : st.kind === 'stage' ? `stage ${st.resolved}` : st.kind === 'scratch' ? 'scratch' : `${st.resolved} (unresolved)`),
        st.pin ? PIN_LABELS[st.pin] : '',
        st.verdict ? VERDICT_LABELS[st.verdict] : '',
        st.size !== undefined ? formatBytes(st.size) : '',
      ]);
    }
  }
  out.push(table(['Dockerfile', 'Stage', 'Base image', 'Pin', 'Policy', 'Size'], rows, 'No Dockerfiles found.'));
  if (meta.problems.length > 0) {
    out.push('## Problems while gathering', '');
    for (const p of meta.problems) out.push(`- ${md(`${p.file}:${p.line}:${p.column}: ${p.message}`)}`);
    out.push('');
  }
  out.push(`_Generated by plimsoll ${md(meta.version)}._`, '');
  return out.join('\n');
}
