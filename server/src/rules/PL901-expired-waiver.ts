import type { Rule } from '../core/rule.ts';
import { waiverExpired, waiverMatches } from '../core/suppress.ts';

export const expiredWaiver: Rule = {
  id: 'PL901',
  name: 'expired-waiver',
  category: 'policy',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  phase: 'after',
  docs: {
    summary: 'A policy waiver whose `expires` date has passed; the finding it used to hide is reported again.',
    why: 'Waivers are debts with a due date. Once it passes the exception no longer applies, and whoever owns it should renew it with a reason or fix the Dockerfile.',
    bad: 'waivers:\n  - rules: [PL101]\n    reason: "migration"\n    expires: 2024-01-31\n',
    good: 'waivers:\n  - rules: [PL101]\n    reason: "migration, OPS-12"\n    owner: team-payments\n    expires: 2027-01-31\n',
    options: '`waivers[].expires`.',
  },
  check(ctx) {
    ctx.policy.waivers.forEach((w, i) => {
      if (!waiverExpired(w, ctx.today)) return;
      const hit = ctx.findings.find((f) =>
        waiverMatches(w, { ruleId: f.ruleId, file: ctx.file, ...(ctx.absolutePath !== undefined ? { absolutePath: ctx.absolutePath } : {}), ...(f.stage !== undefined ? { stage: f.stage } : {}), ...(f.image !== undefined ? { image: f.image } : {}) }),
      );
      if (!hit) return;
      const where = w.source ? ` (${w.source.file}:${w.source.line})` : '';
      const owner = w.owner ? `, owner ${w.owner}` : '';
      ctx.report({
        range: hit.range,
        message: `The waiver for ${w.rules.join(', ')}${where} expired on ${w.expires}${owner}; ${hit.ruleId} is reported again.`,
        key: `waiver:${i}:${w.rules.join(',')}`,
      });
    });
  },
};
