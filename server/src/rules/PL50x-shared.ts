// What the offline size rules (PL502-PL504) share: package-manager commands recognised in RUN, cache
// mounts, which stages end up in an image, and inserting an option after a subcommand.
import { memoLocal, type DockerfileModel, type Instr, type Stage } from '../core/model.ts';
import type { Range, TextEdit } from '../core/types.ts';
import { basename, programIndex, runScripts, type RunCommand, type RunScript, type RunWord } from '../core/shell.ts';

export type Tool = 'apt-get' | 'apk' | 'pip' | 'npm' | 'yarn' | 'yum' | 'zypper';

export interface ToolUse {
  tool: Tool;
  /** The program as written (`apt`, `pip3`, `microdnf`). */
  program: string;
  cmd: RunCommand;
  script: RunScript;
  /** The program word, or the `python` of `python -m pip`. */
  first: RunWord;
  /** The subcommand word (`install`); undefined for a bare `yarn`. */
  sub: RunWord | undefined;
  /** Every word after the program, options included. */
  args: RunWord[];
}

// Options that take a separate value before the subcommand, so that value is not taken for the subcommand.
const VALUE_OPTIONS: Record<Tool, string[]> = {
  'apt-get': ['-o', '-c', '-t', '-a', '--option', '--config-file', '--target-release', '--default-release', '--host-architecture'],
  apk: ['-X', '--repository', '-p', '--root', '--arch', '--cache-dir', '--keys-dir', '--repositories-file'],
  pip: ['--cache-dir', '--log', '--proxy', '--retries', '--timeout', '--exists-action', '--trusted-host', '--cert', '--client-cert', '--python'],
  npm: ['--prefix', '-C', '--cache', '--userconfig', '--registry', '-w', '--workspace', '--loglevel'],
  yarn: ['--cwd', '--cache-folder', '--modules-folder', '--network-timeout', '--mutex', '--registry'],
  yum: ['-c', '--config', '-d', '-e', '-R', '-x', '--exclude', '--installroot', '--releasever', '--setopt', '--enablerepo', '--disablerepo', '--repo', '--repoid', '--forcearch'],
  zypper: ['-R', '--root', '-c', '--config', '-D', '--reposd-dir', '-C', '--cache-dir', '--raw-cache-dir', '--solv-cache-dir', '--pkg-cache-dir'],
};

function toolOf(program: string): Tool | undefined {
  if (program === 'apt-get' || program === 'apt') return 'apt-get';
  if (program === 'apk') return 'apk';
  if (/^pip(\d+(\.\d+)?)?$/.test(program)) return 'pip';
  if (program === 'npm') return 'npm';
  if (program === 'yarn') return 'yarn';
  if (program === 'yum' || program === 'dnf' || program === 'microdnf' || program === 'tdnf') return 'yum';
  if (program === 'zypper') return 'zypper';
  return undefined;
}

/** The package manager a command runs, if any, with its subcommand. */
export function toolUse(cmd: RunCommand, script: RunScript): ToolUse | undefined {
  const p = programIndex(cmd.words);
  if (p < 0) return undefined;
  const first = cmd.words[p]!;
  let program = basename(first.value);
  let i = p + 1;
  if (/^python(\d+(\.\d+)?)?$/.test(program)) {
    // `python3 -m pip install`: interpreter options may come before `-m`.
    while (i < cmd.words.length && cmd.words[i]!.value.startsWith('-') && cmd.words[i]!.value !== '-m') i++;
    if (cmd.words[i]?.value !== '-m' || cmd.words[i + 1]?.value !== 'pip') return undefined;
    program = 'pip';
    i += 2;
  }
  const tool = toolOf(program);
  if (!tool) return undefined;
  const args = cmd.words.slice(i);
  const valued = VALUE_OPTIONS[tool];
  let sub: RunWord | undefined;
  for (let k = 0; k < args.length; k++) {
    const v = args[k]!.value;
    if (v === '--') {
      sub = args[k + 1];
      break;
    }
    if (!v.startsWith('-')) {
      sub = args[k];
      break;
    }
    if (valued.includes(v)) k++;
  }
  return { tool, program, cmd, script, first, sub, args };
}

// Every program toolOf knows contains one of these; a RUN without any runs no package manager, and
// skipping it saves the shell split, which is most of what these rules cost.
const TOOL_HINT = /apt|apk|pip|npm|yarn|yum|dnf|zypper/;
const TOOL_USES = Symbol('plimsoll.toolUses');

/** Every package-manager command a RUN executes (three rules ask about the same RUN). */
export function toolUses(model: DockerfileModel, instr: Instr): ToolUse[] {
  return memoLocal(instr, TOOL_USES, () => findToolUses(model, instr));
}

function findToolUses(model: DockerfileModel, instr: Instr): ToolUse[] {
  const out: ToolUse[] = [];
  if (TOOL_HINT.test(instr.text)) {
    for (const script of runScripts(model, instr)) {
      for (const cmd of script.commands) {
        const use = toolUse(cmd, script);
        if (use) out.push(use);
      }
    }
  }
  return out;
}

/** The words `apt-get install` (program to subcommand), what findings point at. */
export function useRange(use: ToolUse): Range {
  return { start: use.first.range.start, end: (use.sub ?? use.first).range.end };
}

export function hasOption(use: ToolUse, ...names: string[]): boolean {
  return use.args.some((w) => names.some((n) => w.value === n || w.value.startsWith(`${n}=`)));
}

/**
 * Inserts an option right after the subcommand word. In exec form the option is a new JSON string, so
 * `["apk", "add", "x"]` becomes `["apk", "add", "--no-cache", "x"]`.
 */
export function insertAfterSub(model: DockerfileModel, use: ToolUse, option: string): TextEdit | undefined {
  const after = use.sub ?? use.first;
  const at = model.index.positionAt(after.end);
  const text = use.script.origin === 'exec' ? `, ${JSON.stringify(option)}` : ` ${option}`;
  return { range: { start: at, end: at }, newText: text };
}

/** Targets of `--mount=type=cache` and `--mount=type=tmpfs`: what they hold never lands in the layer. */
export function cacheMountTargets(instr: Instr): string[] {
  const out: string[] = [];
  for (const f of instr.flags) {
    if (f.name !== 'mount') continue;
    const type = f.options.get('type')?.value;
    if (type !== 'cache' && type !== 'tmpfs') continue;
    const target = f.options.get('target') ?? f.options.get('dst') ?? f.options.get('destination');
    if (target?.value) out.push(target.value.replace(/\/+$/, '') || '/');
  }
  return out;
}

/** `rm` commands in the RUN that delete a path matching `re` (quote-removed, so `"/x/"*` reads `/x/*`). */
export function removes(commands: readonly RunCommand[], re: RegExp): boolean {
  return commands.some((c) => {
    const p = programIndex(c.words);
    return p >= 0 && basename(c.words[p]!.value) === 'rm' && c.words.slice(p + 1).some((w) => re.test(w.value));
  });
}

/**
 * Stages whose files end up in an image someone ships: the last stage, every stage nothing else refers to
 * (a target of its own), and the stages those are built `FROM`. A stage only copied from (`COPY --from`,
 * `RUN --mount=from=`) is a builder: what it leaves behind is not in any shipped image.
 */
export function shippedStages(model: DockerfileModel): Set<Stage> {
  const referenced = new Set<Stage>();
  for (const use of model.images) if (use.stageRef && use.stage !== use.stageRef) referenced.add(use.stageRef);
  const shipped = new Set<Stage>();
  for (const s of model.stages) {
    if (!s.isFinal && referenced.has(s)) continue;
    for (let cur: Stage | undefined = s; cur && !shipped.has(cur); cur = cur.image.stageRef) shipped.add(cur);
  }
  return shipped;
}

/** The stage and the stages it is built FROM, nearest first. */
export function stageChain(stage: Stage | undefined): Stage[] {
  const out: Stage[] = [];
  for (let cur = stage; cur && !out.includes(cur); cur = cur.image.stageRef) out.push(cur);
  return out;
}

/** Instructions that run before `instr` in its stage and in the stages it inherits from. */
export function instructionsBefore(instr: Instr): Instr[] {
  const [own, ...parents] = stageChain(instr.stage);
  if (!own) return [];
  return [...parents.reverse().flatMap((s) => s.instructions), ...own.instructions.filter((i) => i.index < instr.index)];
}

/** The instructions after `instr` in its stage and in every stage built FROM it, directly or not. */
export function instructionsAfter(model: DockerfileModel, instr: Instr): Instr[] {
  const stage = instr.stage;
  if (!stage) return [];
  const out = stage.instructions.filter((i) => i.index > instr.index);
  for (const s of model.stages) if (s !== stage && stageChain(s).includes(stage)) out.push(...s.instructions);
  return out;
}
