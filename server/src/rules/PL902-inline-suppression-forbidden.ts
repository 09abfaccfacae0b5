import type { Rule } from '../core/rule.ts';

export const inlineSuppressionForbidden: Rule = {
  id: 'PL902',
  name: 'inline-suppression-forbidden',
  category: 'policy',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  phase: 'after',
  docs: {
    summary: 'A `# plimsoll ignore=` or `# hadolint ignore=` pragma in a repository whose policy forbids inline suppression.',
    why: 'Some organisations want every exception to go through a reviewed, expiring waiver in the policy file. Under such a policy a pragma hides nothing, and this rule says so where it is written.',
    bad: '# plimsoll ignore=PL101 reason="legacy"\nFROM centos:7\n',
    good: '# (a waiver in .plimsoll.yaml with owner and expiry instead)\nFROM centos:7\n',
    options: '`suppression.inline: false`.',
  },
  check(ctx) {
    if (ctx.policy.allowInlineSuppression) return;
    for (const p of ctx.pragmas) {
      ctx.report({
        range: p.range,
        message: `Inline suppression is forbidden by policy; this ${p.source} pragma (${p.written.join(', ')}) hides nothing. Use a waiver in the policy file.`,
        key: `pragma:${p.written.join(',')}`,
      });
    }
  },
};
