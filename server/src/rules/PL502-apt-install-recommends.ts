import type { Rule } from '../core/rule.ts';
import type { Fix } from '../core/types.ts';
import { insertAfterSub, instructionsBefore, toolUses, useRange, type ToolUse } from './PL50x-shared.ts';

const OFF = /^(0|false|no|off)$/i;
// `APT::Install-Recommends "0";` written into apt.conf.d (configuration syntax: a space, not the `=` of `-o`)
// turns recommends off for every later install.
const CONFIG_OFF = /APT::Install-Recommends\s+\\?["']?(?:0|false|no|off)\b/i;

/** `--no-install-recommends`, `--install-recommends=no`, or `-o APT::Install-Recommends=false` in any spelling. */
function declinesRecommends(use: ToolUse): boolean {
  const words = use.args.map((w) => w.value);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--no-install-recommends') return true;
    const eq = /^--install-recommends=(.*)$/.exec(w);
    if (eq && OFF.test(eq[1]!)) return true;
    let setting: string | undefined;
    if (w === '-o' || w === '--option') setting = words[i + 1];
    else if (w.startsWith('--option=')) setting = w.slice('--option='.length);
    else if (w.startsWith('-o') && w.length > 2) setting = w.slice(2);
    const m = setting === undefined ? null : /^APT::Install-Recommends=(.*)$/i.exec(setting);
    if (m && OFF.test(m[1]!.replace(/^["']|["']$/g, ''))) return true;
  }
  return false;
}

export const aptInstallRecommends: Rule = {
  id: 'PL502',
  name: 'apt-install-recommends',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'unsafe',
  hadolint: ['DL3015'],
  docs: {
    summary: '`apt-get install` (or `apt install`) without `--no-install-recommends`.',
    why: 'By default apt also installs every package the requested ones merely recommend: documentation, helpers and whole toolchains that the image never uses but ships, scans and patches. It is commonly tens of megabytes per install.',
    bad: 'RUN apt-get update && apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*\n',
    good: 'RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \\\n    && rm -rf /var/lib/apt/lists/*\n',
    fix: 'Inserts `--no-install-recommends` right after `install` (as a new string in exec form). Unsafe: a recommended package the software needs at run time is no longer installed and has to be named explicitly (`curl` recommends `ca-certificates`, without which HTTPS fails), so review the package list before applying it.',
    options: 'None. The rule is silent when an earlier instruction writes `APT::Install-Recommends "0"` into the apt configuration, or the command passes `-o APT::Install-Recommends=false`.',
  },
  check(ctx) {
    const { model } = ctx;
    const configs = new Set(model.instructions.filter((i) => i.keyword === 'RUN' && CONFIG_OFF.test(i.text)));
    for (const instr of model.instructions) {
      if (instr.keyword !== 'RUN') continue;
      const installs = toolUses(model, instr).filter((u) => u.tool === 'apt-get' && u.sub?.value === 'install');
      if (installs.length === 0) continue;
      if (configs.size > 0 && [...instructionsBefore(instr), instr].some((i) => configs.has(i))) continue;
      for (const use of installs) {
        if (declinesRecommends(use)) continue;
        const edit = insertAfterSub(model, use, '--no-install-recommends');
        const fixes: Fix[] = edit ? [{ title: 'Add --no-install-recommends', applicability: 'unsafe', changes: [{ edits: [edit] }] }] : [];
        const packages = use.args.filter((w) => !w.value.startsWith('-') && w !== use.sub).map((w) => w.value);
        ctx.report({
          range: useRange(use),
          message: `\`${use.program} install\` without --no-install-recommends also installs every recommended package; add the option and name what is really needed.`,
          key: `install ${packages.join(' ')}`,
          fixes,
          ...(instr.stage ? { stage: instr.stage } : {}),
        });
      }
    }
  },
};
