import type { RunReport } from '../report.ts';

/** `{"version":1,"findings":[...]}` with 0-based positions, as the README documents. */
export function formatJson(run: RunReport): string {
  const findings = run.files.flatMap((f) =>
    f.findings.map((x) => ({
      file: f.display,
      ruleId: x.ruleId,
      ruleName: x.ruleName,
      category: x.category,
      severity: x.severity,
      message: x.message,
      range: x.range,
      fingerprint: x.fingerprint,
      ...(x.stage !== undefined ? { stage: x.stage } : {}),
      ...(x.image !== undefined ? { image: x.image } : {}),
      fixes: x.fixes,
    })),
  );
  const suppressed = run.files.flatMap((f) =>
    f.suppressed.map((x) => ({ file: f.display, ruleId: x.ruleId, range: x.range, fingerprint: x.fingerprint, suppressed: x.suppressed })),
  );
  return `${JSON.stringify({ version: 1, findings, suppressed, errors: run.problems, ...(run.registry ? { registry: run.registry } : {}) }, null, 2)}\n`;
}
