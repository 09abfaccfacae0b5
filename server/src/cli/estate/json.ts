// The estate report as JSON: the figures exactly as core/estate.ts computed them (the HTML and Markdown
// reports show the same numbers; the HTML test checks that they do).
import type { EstateReport } from '../../core/estate.ts';

export interface EstateMeta {
  version: string;
  /** Policy, read and internal problems met while gathering, as `file:line:column: message`. */
  problems: Array<{ file: string; line: number; column: number; message: string }>;
  registry?: { offline: boolean; requested: number; fromCache: number; missing: number; oldest?: string };
}

export function renderEstateJson(report: EstateReport, meta: EstateMeta): string {
  return `${JSON.stringify({ ...report, generator: { name: 'plimsoll', version: meta.version }, registry: meta.registry ?? null, problems: meta.problems }, null, 2)}\n`;
}
