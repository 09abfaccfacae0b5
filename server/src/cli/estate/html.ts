// The estate report as one self-contained HTML file: inline CSS and SVG charts, no script, and a
// Content-Security-Policy that forbids every network fetch when it is viewed. Every text that comes
// from the estate (paths, image names, reasons, owners) is escaped; no finding message is included.
import type { EstatePin, EstateReport, EstateVerdict, WaiverStatus } from '../../core/estate.ts';
import { ESTATE_PINS } from '../../core/estate.ts';
import { formatBytes } from '../../core/units.ts';
import type { EstateMeta } from './json.ts';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for element content and quoted attribute values alike. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}

const PIN_COLOURS: Record<EstatePin, string> = { digest: '#1b7f3b', exact: '#6fb36f', floating: '#e0a800', latest: '#e0661b', untagged: '#c0392b' };
const PIN_LABELS: Record<EstatePin, string> = { digest: 'digest', exact: 'exact tag', floating: 'floating tag', latest: 'latest', untagged: 'no tag' };
const VERDICT_LABELS: Record<EstateVerdict, string> = { approved: 'approved', denied: 'denied', unapproved: 'not on the allowlist', untrusted: 'untrusted registry' };
const STATUS_LABELS: Record<WaiverStatus, string> = { expired: 'expired', expiring: 'expiring soon', active: 'active', 'no-expiry': 'no expiry' };

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

interface Bar {
  label: string;
  value: number;
  shown: string;
}

/** A horizontal bar chart; each bar carries its label and value as data for tests and a title for hover. */
function barChart(id: string, title: string, bars: readonly Bar[], colour: string): string {
  const labelWidth = 250;
  const width = 720;
  const row = 24;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * row + 8;
  const rows = bars.map((b, i) => {
    const y = i * row + 4;
    const w = Math.max(1, Math.round(((width - labelWidth - 90) * b.value) / max));
    return (
      `<g class="bar" data-label="${esc(b.label)}" data-value="${b.value}"><title>${esc(b.label)}: ${esc(b.shown)}</title>` +
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${esc(truncate(b.label, 36))}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 8}" rx="2" fill="${colour}"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 15}" class="num">${esc(b.shown)}</text></g>`
    );
  });
  return `<svg id="${id}" class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${rows.join('')}</svg>`;
}

/** One stacked bar of the pin states, with an HTML legend that carries the numbers too. */
function pinChart(report: EstateReport): string {
  const total = report.summary.baseImageUses;
  const width = 720;
  let x = 0;
  const segments = ESTATE_PINS.map((p) => {
    const n = report.summary.pins[p];
    if (n === 0 || total === 0) return '';
    const w = (width * n) / total;
    const seg = `<rect class="pin" data-pin="${p}" data-value="${n}" x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="28" fill="${PIN_COLOURS[p]}"><title>${esc(PIN_LABELS[p])}: ${n}</title></rect>`;
    x += w;
    return seg;
  }).join('');
  const svg = `<svg id="chart-pins" class="chart" role="img" aria-label="Pin state of base image uses" viewBox="0 0 ${width} 28" width="${width}" height="28" xmlns="http://www.w3.org/2000/svg"><title>Pin state of base image uses</title>${total === 0 ? `<rect x="0" y="0" width="${width}" height="28" fill="#ddd"/>` : segments}</svg>`;
  const legend = ESTATE_PINS.map((p) => {
    const n = report.summary.pins[p];
    return `<li><span class="swatch" style="background:${PIN_COLOURS[p]}"></span>${esc(PIN_LABELS[p])}: <b data-pin-count="${p}">${n}</b> <span class="muted">(${total === 0 ? '0.0%' : percent(n / total)})</span></li>`;
  }).join('');
  return `${svg}<ul class="legend">${legend}</ul>`;
}

function card(id: string, label: string, value: string, tone = ''): string {
  return `<div class="card${tone ? ` ${tone}` : ''}"><div class="label">${esc(label)}</div><div class="value" data-figure="${id}">${esc(value)}</div></div>`;
}

function table(id: string, head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}-empty">${esc(empty)}</p>`;
  // A column is numeric when its first row's cell is (so its heading lines up with the numbers).
  const numeric = (rows[0] ?? []).map((c) => c.startsWith('<td class="num"'));
  const th = head.map((h, i) => `<th scope="col"${numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n');
  return `<div class="scroll"><table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const td = (s: string | number, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${esc(s)}</td>`;

const CSS = `
:root{--fg:#1d2328;--muted:#5f6b75;--line:#d9dee3;--bg:#fff;--panel:#f5f7f9;--accent:#0b3d5c;--bad:#b3261e;--warn:#8a5a00;--good:#1b7f3b}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:var(--accent);color:#fff;padding:20px 32px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.85}
main{padding:8px 32px 40px;max-width:1200px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:18px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px}.card .label{color:var(--muted);font-size:12px}.card .value{font-size:22px;font-weight:600}
.card.bad .value{color:var(--bad)}.card.warn .value{color:var(--warn)}.card.good .value{color:var(--good)}
.chart{max-width:100%;height:auto;font-size:12px}.chart text{fill:var(--fg)}.chart .num{fill:var(--muted)}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:4px 18px}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
.v-approved{color:var(--good)}.v-denied,.v-untrusted,.s-expired{color:var(--bad);font-weight:600}.v-unapproved,.s-expiring{color:var(--warn);font-weight:600}
.muted,.empty{color:var(--muted)}footer{color:var(--muted);font-size:12px;margin-top:32px}
`;

export function renderEstateHtml(report: EstateReport, meta: EstateMeta): string {
  const s = report.summary;
  const cards = [
    card('files', 'Dockerfiles', String(s.files)),
    card('stages', 'Stages', String(s.stages)),
    card('baseImageUses', 'Base image uses', String(s.baseImageUses)),
    card('distinctBaseImages', 'Distinct base images', String(s.distinctBaseImages)),
    card('digestShare', 'Pinned by digest', percent(s.digestShare), s.digestShare >= 0.8 ? 'good' : ''),
    card('notApproved', 'Uses not approved', String(s.notApproved), s.notApproved > 0 ? 'bad' : 'good'),
    card('secretFindings', 'Secret findings', String(s.secretFindings), s.secretFindings > 0 ? 'bad' : ''),
    card('sizeFindings', 'Size findings', String(s.sizeFindings), s.sizeFindings > 0 ? 'warn' : ''),
    card('waiversExpiringSoon', `Waivers expiring in ${report.soonDays} days`, String(s.waiversExpiringSoon), s.waiversExpiringSoon > 0 ? 'warn' : ''),
    card('waiversExpired', 'Waivers expired', String(s.waiversExpired), s.waiversExpired > 0 ? 'bad' : ''),
  ].join('');

  const topBases = report.baseImages.slice(0, 15).map((b) => ({ label: b.image, value: b.uses, shown: String(b.uses) }));
  const topSizes = report.sizes.slice(0, 15).map((z) => ({ label: z.image, value: z.bytes, shown: formatBytes(z.bytes) }));
  const sizeNote = meta.registry === undefined ? 'No registry facts were used (--no-registry), so sizes are unknown.' : 'No size is known for any base image (the registry or the cache had no answer).';

  const rejected = report.notApproved.map((r) => [
    td(r.image, 'code'),
    `<td class="v-${r.verdict}">${esc(VERDICT_LABELS[r.verdict])}</td>`,
    td(r.reason ?? ''),
    td(r.uses, 'num'),
    td(r.files.slice(0, 5).join(', ') + (r.files.length > 5 ? ` and ${r.files.length - 5} more` : ''), 'code'),
  ]);
  const waivers = report.waivers.map((w) => [
    td(w.rules.join(', '), 'code'),
    td(w.owner ?? '—'),
    td(w.expires ?? '—'),
    `<td class="s-${w.status}" data-status="${w.status}">${esc(STATUS_LABELS[w.status])}${w.daysLeft !== undefined && w.status !== 'expired' ? ` (${w.daysLeft} d)` : ''}</td>`,
    td(w.reason),
    td(w.hidden, 'num'),
    td(`${w.policy}:${w.line}`, 'code'),
  ]);
  const rules = report.rules.map((r) => [td(r.ruleId, 'code'), td(r.ruleName), td(r.category), td(r.findings, 'num'), td(r.files, 'num'), td(r.suppressed, 'num')]);
  const bases = report.baseImages.map((b) => [
    td(b.image, 'code'),
    td(b.uses, 'num'),
    td(b.files, 'num'),
    ...ESTATE_PINS.map((p) => td(b.pins[p], 'num')),
    td(b.notApproved, 'num'),
    td(b.tags.slice(0, 6).map((t) => `${t.tag} (${t.uses})`).join(', ') + (b.tags.length > 6 ? ', …' : ''), 'code'),
  ]);
  const stageRows: string[][] = [];
  for (const f of report.files) {
    const findings = Object.entries(f.findings).map(([id, n]) => `${id}×${n}`).join(' ');
    f.stages.forEach((st, i) => {
      stageRows.push([
        i === 0 ? td(f.path, 'code') : td(''),
        td(st.name ?? `#${st.index}`),
        td(st.line, 'num'),
        td(st.kind === 'image' ? (st.image ?? st.resolved) : st.kind === 'stage' ? `stage ${st.resolved}` : st.kind === 'scratch' ? 'scratch' : `${st.resolved} (unresolved)`, 'code'),
        td(st.pin ? PIN_LABELS[st.pin] : ''),
        st.verdict ? `<td class="v-${st.verdict}">${esc(VERDICT_LABELS[st.verdict])}</td>` : td(''),
        td(st.size !== undefined ? formatBytes(st.size) : '', 'num'),
        i === 0 ? td(findings, 'code') : td(''),
      ]);
    });
    if (f.stages.length === 0) stageRows.push([td(f.path, 'code'), td(''), td(''), td('(no FROM)'), td(''), td(''), td(''), td(findings, 'code')]);
  }
  const problems = meta.problems.length === 0 ? '' : `<h2>Problems while gathering</h2><ul>${meta.problems.map((p) => `<li class="code">${esc(`${p.file}:${p.line}:${p.column}: ${p.message}`)}</li>`).join('')}</ul>`;
  const registry = meta.registry
    ? `Registry facts: ${meta.registry.requested - meta.registry.missing} of ${meta.registry.requested} known${meta.registry.offline ? `, offline from the cache${meta.registry.oldest ? ` (oldest ${meta.registry.oldest.slice(0, 10)})` : ''}` : ''}.`
    : 'Registry facts: not used.';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="plimsoll ${esc(meta.version)}">
<title>Plimsoll estate report, ${esc(report.today)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>Base-image estate</h1><p>${esc(s.files)} Dockerfiles, ${esc(s.stages)} stages, as of ${esc(report.today)}. ${esc(registry)}</p></header>
<main>
<section class="cards" aria-label="Summary">${cards}</section>
<section><h2>Base images by use</h2>${topBases.length > 0 ? barChart('chart-bases', 'Base images by number of uses', topBases, '#2f6f9f') : '<p class="empty">No base images.</p>'}${report.baseImages.length > 15 ? `<p class="muted">The 15 most used of ${report.baseImages.length}; all are in the table below.</p>` : ''}</section>
<section><h2>Pin state</h2>${pinChart(report)}</section>
<section><h2>Base image sizes</h2>${topSizes.length > 0 ? barChart('chart-sizes', 'Compressed size of base images', topSizes, '#7a5aa6') : `<p class="empty" id="chart-sizes-empty">${esc(sizeNote)}</p>`}</section>
<section><h2>Images not approved</h2>${table('not-approved', ['Image', 'Why', 'Detail', 'Uses', 'Dockerfiles'], rejected, 'Every base image in use is approved.')}</section>
<section><h2>Waivers</h2>${table('waivers', ['Rules', 'Owner', 'Expires', 'Status', 'Reason', 'Findings hidden', 'Declared at'], waivers, 'No waivers.')}</section>
<section><h2>Secret and size findings by rule</h2>${table('rules', ['Rule', 'Name', 'Category', 'Findings', 'Dockerfiles', 'Suppressed'], rules, 'No secret or size findings.')}</section>
<section><h2>Base images</h2>${table('base-images', ['Image', 'Uses', 'Dockerfiles', ...ESTATE_PINS.map((p) => PIN_LABELS[p]), 'Not approved', 'Tags'], bases, 'No base images.')}</section>
<section><h2>Dockerfiles and stages</h2>${table('files', ['Dockerfile', 'Stage', 'Line', 'Base image', 'Pin', 'Policy', 'Size', 'Secret and size findings'], stageRows, 'No Dockerfiles found.')}</section>
${problems}
<footer>Generated by plimsoll ${esc(meta.version)}. Sizes are compressed sizes for the platform each stage pulls. Findings are counted by rule; their messages are not included.</footer>
</main>
</body>
</html>
`;
}
