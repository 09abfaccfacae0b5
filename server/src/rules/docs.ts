// Rule documentation rendered from the rule's own fields: docs/rules/*.md, the README table, SARIF help and
// hovers all come from here, so they cannot drift apart.
import type { Rule } from '../core/rule.ts';
import { ruleDocsUrl } from './index.ts';

const FIX_TEXT: Record<Rule['fixSafety'], string> = {
  none: 'No automatic fix.',
  safe: 'Safe fix: applied by `plimsoll lint --fix` and the editor\'s fix-all.',
  unsafe: 'Unsafe fix: offered as a quick-fix only, never applied by `--fix`.',
  'safe and unsafe': 'Safe and unsafe fixes: only the safe one is applied by `plimsoll lint --fix` and fix-all.',
};

export function renderRuleDoc(rule: Rule): string {
  const d = rule.docs;
  const lines = [
    `# ${rule.id} ${rule.name}`,
    '',
    `Category: \`${rule.category}\` · Default severity: \`${rule.severity}\` · Status: \`${rule.status}\`` +
      (rule.hadolint?.length ? ` · hadolint: ${rule.hadolint.map((c) => `\`${c}\``).join(', ')}` : ''),
    '',
    '## What it does',
    '',
    d.summary,
    '',
    '## Why is this bad?',
    '',
    d.why,
    '',
    '## Example',
    '',
    fence(d.bad),
    '',
    'Use instead:',
    '',
    fence(d.good),
    '',
    '## Fix safety',
    '',
    FIX_TEXT[rule.fixSafety] + (d.fix ? ` ${d.fix}` : ''),
  ];
  if (d.options) lines.push('', '## Policy options', '', d.options);
  lines.push('', '## Suppressing', '', `\`# plimsoll ignore=${rule.id} reason="..."\` on the line above the instruction, or a waiver in \`.plimsoll.yaml\` (\`waivers: [{ rules: [${rule.id}], reason, owner, expires }]\`).`, '');
  return lines.join('\n');
}

function fence(code: string): string {
  const lang = /^\s*(waivers|images|pinning|rules|secrets|sizes|registries):/m.test(code) ? 'yaml' : 'dockerfile';
  return `\`\`\`${lang}\n${code.replace(/\n$/, '')}\n\`\`\``;
}

export function ruleDocFileName(rule: Rule): string {
  return `${rule.id}-${rule.name}.md`;
}

export function renderRuleTable(rules: readonly Rule[]): string {
  const rows = rules
    .filter((r) => r.status !== 'deprecated')
    .map((r) => `| [${r.id}](docs/rules/${ruleDocFileName(r)}) | ${r.name} | ${r.category} | ${r.severity} | ${r.fixSafety} | ${r.docs.summary.replace(/\|/g, '\\|')} |`);
  return ['| id | name | category | severity | fix | what it flags |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export { ruleDocsUrl };
