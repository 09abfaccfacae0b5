import type { Rule } from '../core/rule.ts';

export const unresolvedImage: Rule = {
  id: 'PL903',
  name: 'unresolved-image',
  category: 'policy',
  severity: 'info',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'An image reference built from ARGs that have no default and no `--build-arg` value, so no image rule can judge it.',
    why: 'Governance must not guess. When the base image is only known at build time, the policy cannot approve it; give the ARG a default or pass `--build-arg` to the linter (CLI flag, or `plimsoll.buildArgs` in the editor).',
    bad: 'ARG BASE\nFROM ${BASE}\n',
    good: 'ARG BASE=node:20.11.1-alpine\nFROM ${BASE}\n',
  },
  check(ctx) {
    for (const use of ctx.model.images) {
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
