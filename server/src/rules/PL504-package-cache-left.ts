import type { Rule } from '../core/rule.ts';
import type { Instr } from '../core/model.ts';
import type { Fix } from '../core/types.ts';
import { runCommands, type RunCommand } from '../core/shell.ts';
import { cacheMountTargets, hasOption, insertAfterSub, instructionsBefore, removes, shippedStages, toolUses, useRange, type ToolUse } from './PL50x-shared.ts';

const NPM_INSTALL = new Set(['install', 'i', 'in', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean']);
const YUM_INSTALL = new Set(['install', 'groupinstall', 'localinstall', 'reinstall', 'update', 'upgrade', 'distro-sync']);
const ZYPPER_INSTALL = new Set(['install', 'in', 'update', 'up', 'dist-upgrade', 'dup', 'patch', 'source-install', 'si']);

/** Does a mount at one of `targets` (or above it) hold this cache? `targets` may be patterns for any home folder. */
function mounted(mounts: readonly string[], ...targets: RegExp[]): boolean {
  return mounts.some((m) => targets.some((t) => t.test(m)));
}

/** `tool sub next` somewhere in the RUN (options allowed before `sub`), e.g. `yarn cache clean`, `dnf -y clean all`. */
function ran(uses: readonly ToolUse[], tool: ToolUse['tool'], sub: string, next?: string): boolean {
  return uses.some((u) => {
    if (u.tool !== tool || u.sub?.value !== sub) return false;
    if (next === undefined) return true;
    const after = u.args.slice(u.args.indexOf(u.sub) + 1).find((w) => !w.value.startsWith('-'));
    return after?.value === next;
  });
}

/** PIP_NO_CACHE_DIR set for this pip: inline, through `env`, `export`ed earlier in the RUN, or by ENV/ARG. */
function pipCacheOffByEnv(use: ToolUse, commands: readonly RunCommand[], instr: Instr, setters: ReadonlySet<Instr>): boolean {
  const sets = (v: string) => v.startsWith('PIP_NO_CACHE_DIR=');
  if (use.cmd.assignments.some((w) => sets(w.value))) return true;
  if (use.cmd.words.slice(0, use.cmd.words.indexOf(use.first)).some((w) => sets(w.value))) return true;
  if (commands.some((c) => c.words[0]?.value === 'export' && c.words.slice(1).some((w) => sets(w.value)))) return true;
  return setters.size > 0 && instructionsBefore(instr).some((i) => setters.has(i));
}

interface Verdict {
  message: string;
  /** The option whose insertion after the subcommand is the fix. */
  option?: string;
}

function judge(use: ToolUse, uses: readonly ToolUse[], commands: readonly RunCommand[], mounts: readonly string[], instr: Instr, pipSetters: ReadonlySet<Instr>): Verdict | undefined {
  const sub = use.sub?.value;
  const what = sub ? `\`${use.program} ${sub}\`` : `\`${use.program}\` (an install)`;
  switch (use.tool) {
    case 'apk':
      if (sub !== 'add' || hasOption(use, '--no-cache', '--no-network')) return undefined;
      if (mounted(mounts, /^\/var\/cache\/apk$/, /^\/etc\/apk\/cache$/) || removes(commands, /^\/var\/cache\/apk(\/\*?)?$/)) return undefined;
      return { message: `${what} without --no-cache leaves the package index in /var/cache/apk in this layer.`, option: '--no-cache' };
    case 'pip':
      if (sub !== 'install' || hasOption(use, '--no-cache-dir')) return undefined;
      if (pipCacheOffByEnv(use, commands, instr, pipSetters) || ran(uses, 'pip', 'cache', 'purge')) return undefined;
      if (mounted(mounts, /\/\.cache(\/pip)?$/) || removes(commands, /^(~|\$HOME|\$\{HOME\}|\/root|\/home\/[^/]+)\/\.cache(\/pip)?(\/\*?)?$/)) return undefined;
      return { message: `${what} without --no-cache-dir leaves pip's download cache (~/.cache/pip) in this layer.`, option: '--no-cache-dir' };
    case 'npm':
      if (!sub || !NPM_INSTALL.has(sub)) return undefined;
      if (ran(uses, 'npm', 'cache', 'clean') || mounted(mounts, /\/\.npm$/)) return undefined;
      if (removes(commands, /^(~|\$HOME|\$\{HOME\}|\/root|\/home\/[^/]+)\/\.npm(\/_cacache)?(\/\*?)?$/)) return undefined;
      return { message: `${what} leaves the npm cache (~/.npm) in this layer; run \`npm cache clean --force\` in the same RUN or use a cache mount.` };
    case 'yarn': {
      const install = sub === undefined ? !hasOption(use, '--version', '-v', '--help', '-h') : sub === 'install' || sub === 'add' || (sub === 'global' && use.args[use.args.indexOf(use.sub!) + 1]?.value === 'add');
      if (!install) return undefined;
      if (ran(uses, 'yarn', 'cache', 'clean') || mounted(mounts, /yarn/)) return undefined;
      if (removes(commands, /\/(\.cache\/yarn|\.yarn-cache|\.yarn\/cache)(\/\*?)?$/)) return undefined;
      return { message: `${what} leaves the yarn cache in this layer; run \`yarn cache clean\` in the same RUN or use a cache mount.` };
    }
    case 'yum': {
      if (!sub || !YUM_INSTALL.has(sub)) return undefined;
      if (ran(uses, 'yum', 'clean', 'all') || mounted(mounts, /^\/var\/cache\/(yum|dnf|libdnf5|tdnf)$/, /^\/var\/cache$/)) return undefined;
      if (removes(commands, /^\/var\/cache\/(yum|dnf|libdnf5|tdnf)(\/\*?)?$/)) return undefined;
      return { message: `${what} leaves the package cache in /var/cache in this layer; run \`${use.program} clean all\` in the same RUN.` };
    }
    case 'zypper':
      if (!sub || !ZYPPER_INSTALL.has(sub)) return undefined;
      if (ran(uses, 'zypper', 'clean') || ran(uses, 'zypper', 'cc') || mounted(mounts, /^\/var\/cache\/zypp$/, /^\/var\/cache$/)) return undefined;
      if (removes(commands, /^\/var\/cache\/zypp(\/\*?)?$/)) return undefined;
      return { message: `${what} leaves the package cache in /var/cache/zypp in this layer; run \`zypper clean --all\` in the same RUN.` };
    default:
      return undefined;
  }
}

export const packageCacheLeft: Rule = {
  id: 'PL504',
  name: 'package-cache-left',
  category: 'size',
  severity: 'info',
  status: 'stable',
  fixSafety: 'safe',
  hadolint: ['DL3019', 'DL3042', 'DL3060', 'DL3032', 'DL3040', 'DL3036'],
  docs: {
    summary: 'A package manager that leaves its download cache in the layer: `apk add` without `--no-cache`, `pip install` without `--no-cache-dir`, `npm install`/`npm ci` without `npm cache clean --force`, `yarn install` without `yarn cache clean`, `yum`/`dnf install` without `clean all`, `zypper install` without `zypper clean`, in a stage that ends up in an image.',
    why: 'Package caches are only useful to the next install on the same machine. In an image they are dead weight, often as large as what was installed, and a cleanup in a later RUN does not help because the earlier layer keeps them.',
    bad: 'RUN apk add curl\nRUN pip install -r requirements.txt\nRUN npm ci\n',
    good: 'RUN apk add --no-cache curl\nRUN pip install --no-cache-dir -r requirements.txt\nRUN npm ci && npm cache clean --force\n',
    fix: 'Safe for apk and pip: inserts `--no-cache` after `apk add` or `--no-cache-dir` after `pip install` (a new string in exec form); only the cache is affected, never what is installed. No fix for npm, yarn, yum/dnf or zypper, where the cleanup command has to go at the right place in the RUN.',
    options: 'None. A `--mount=type=cache` (or `tmpfs`) on the cache folder (`/var/cache/apk`, `~/.cache/pip`, `~/.npm`, the yarn cache, `/var/cache/dnf`, `/var/cache/zypp`), removing that folder in the same RUN, or `PIP_NO_CACHE_DIR` set by ENV, ARG or on the command line all silence it. Builder stages that are only copied from are not checked.',
  },
  check(ctx) {
    const { model } = ctx;
    const shipped = shippedStages(model);
    // ENV, and ARG with a default, put PIP_NO_CACHE_DIR into the environment of later RUNs.
    const pipSetters = new Set(
      model.instructions.filter((i) => (i.keyword === 'ENV' || i.keyword === 'ARG') && i.properties.some((p) => p.name === 'PIP_NO_CACHE_DIR' && (i.keyword === 'ENV' || p.value !== null))),
    );
    for (const instr of model.instructions) {
      if (instr.keyword !== 'RUN' || !instr.stage || !shipped.has(instr.stage)) continue;
      const uses = toolUses(model, instr);
      // apt-get is PL503's; judge() has nothing to say about a RUN that only runs it.
      if (uses.every((u) => u.tool === 'apt-get')) continue;
      const commands = runCommands(model, instr);
      const mounts = cacheMountTargets(instr);
      for (const use of uses) {
        const v = judge(use, uses, commands, mounts, instr, pipSetters);
        if (!v) continue;
        const fixes: Fix[] = [];
        if (v.option) {
          const edit = insertAfterSub(model, use, v.option);
          if (edit) fixes.push({ title: `Add ${v.option}`, applicability: 'safe', changes: [{ edits: [edit] }] });
        }
        ctx.report({
          range: useRange(use),
          message: v.message,
          key: [use.tool, ...use.args.map((w) => w.value)].join(' '),
          fixes,
          stage: instr.stage,
        });
      }
    }
  },
};
