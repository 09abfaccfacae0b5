import type { Rule } from '../core/rule.ts';
import { maskedWritten } from '../core/secrets.ts';

export const unresolvedImage: Rule = {
  id: 'PL903',
  name: 'unresolved-image',
  category: 'policy',
  severity: 'info',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'An image reference that no image rule can judge: built from ARGs with no default and no `--build-arg` value, or from a secret (which is then never shown).',
    why: 'Governance must not guess. When the base image is only known at build time, the policy cannot approve it; give the ARG a default or pass `--build-arg` to the linter (CLI flag, or `plimsoll.buildArgs` in the editor).',
    bad: 'ARG BASE\nFROM ${BASE}\n',
    good: 'ARG BASE=node:20.11.1-alpine\nFROM ${BASE}\n',
  },
  check(ctx) {
    for (const use of ctx.model.images) {
      if (use.hidesSecret) {
        ctx.report({
          range: use.range,
          message: `Image ${maskedWritten(use, ctx.policy)} is built from a secret (a secret-named ARG or a literal credential), so it is not judged and its value is not shown.`,
          key: `${use.kind}:secret`,
          ...(use.stage ? { stage: use.stage } : {}),
        });
        continue;
      }
      if (use.unresolved.length === 0) continue;
      const vars = [...new Set(use.unresolved)].map((v) => `$${v}`).join(', ');
      ctx.report({
        range: use.range,
        message: `Cannot judge image ${use.written}: ${vars} has no default and no --build-arg value.`,
        key: `${use.kind}:${use.written}`,
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
