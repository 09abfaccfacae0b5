// argv for `plimsoll lint`, `plimsoll report` and `plimsoll policy explain|check`. Mistakes are usage errors
// (exit 2) with a message that says what to write instead.
import type { Severity } from '../core/types.ts';
import { parseImageRef } from '../core/imageRef.ts';

export type Format = 'text' | 'json' | 'sarif' | 'github';
export type FailOn = Severity | 'never';

export interface LintArgs {
  command: 'lint';
  paths: string[];
  policy?: string;
  format: Format;
  failOn: FailOn;
  buildArgs: Record<string, string>;
  fix: boolean;
  quiet: boolean;
  output?: string;
  offline: boolean;
  noRegistry: boolean;
  cacheDir?: string;
  /** `--image`: the image the (one) linted Dockerfile is built into; wins over `builds` in the policy. */
  image?: string;
}

export type ReportFormat = 'json' | 'html' | 'markdown';

export interface ReportArgs {
  command: 'report';
  paths: string[];
  policy?: string;
  format: ReportFormat;
  output?: string;
  buildArgs: Record<string, string>;
  offline: boolean;
  noRegistry: boolean;
  cacheDir?: string;
  /** Waivers expiring within this many days count as expiring soon. */
  soonDays: number;
  quiet: boolean;
}

export interface ExplainArgs {
  command: 'policy-explain';
  dockerfile: string;
  policy?: string;
  format: 'text' | 'json';
  output?: string;
  buildArgs: Record<string, string>;
  offline: boolean;
  cacheDir?: string;
}

export interface CheckArgs {
  command: 'policy-check';
  policyFile: string;
  format: 'text' | 'json';
  output?: string;
  offline: boolean;
  cacheDir?: string;
  soonDays: number;
}

export interface HelpArgs {
  command: 'help';
  /** Which usage to print. */
  topic?: 'report' | 'policy';
}

export interface VersionArgs {
  command: 'version';
}

export class UsageError extends Error {}

const FORMATS: Format[] = ['text', 'json', 'sarif', 'github'];
const FAIL_ON: FailOn[] = ['error', 'warning', 'info', 'never'];

export const USAGE = `Usage: plimsoll lint [paths or globs...] [options]
       plimsoll report [paths...] --format json|html|markdown   (see plimsoll report --help)
       plimsoll policy explain <Dockerfile> | check <policy>    (see plimsoll policy --help)

Finds Dockerfile, Containerfile, *.Dockerfile and Dockerfile.* under the given paths (default: .)
and checks them against the org policy (.plimsoll.yaml, found by walking up from each file).

Options:
  --policy <file>        use this policy file instead of looking for .plimsoll.yaml
  --format <f>           text (default), json, sarif, github
  -o, --output <file>    write the report to a file instead of stdout
  --fail-on <level>      exit 1 when a finding is at or above: error (default), warning, info, never
  --build-arg <K=V>      value for an ARG, as docker build --build-arg (repeatable)
  --image <ref>          the image the Dockerfile is built into (one Dockerfile only); its layers are
                         mapped to the instructions that made them. Default: builds in the policy
  --fix                  apply safe fixes in place (idempotent), then report what is left
  --offline              use only cached registry facts and cached remote policies
  --no-registry          do not use registry facts at all
  --cache-dir <dir>      registry cache folder (default: $XDG_CACHE_HOME/plimsoll)
  -q, --quiet            print findings only, no summary or progress
  -h, --help             show this help
  --version              show the version

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or policy errors.`;

export const REPORT_USAGE = `Usage: plimsoll report [paths or globs...] [options]

An estate report of every Dockerfile found: each stage's base image (through ARGs), how it is pinned,
whether the policy approves it, its size when registry facts are known, secret and size findings by
rule, and the waivers in force with owners and expiry dates.

Options:
  --format <f>           json (default), html (one self-contained file), markdown
  -o, --output <file>    write the report to a file instead of stdout
  --policy <file>        use this policy file instead of looking for .plimsoll.yaml
  --build-arg <K=V>      value for an ARG, as docker build --build-arg (repeatable)
  --offline              use only cached registry facts and cached remote policies
  --no-registry          do not use registry facts at all (no sizes)
  --cache-dir <dir>      cache folder (default: $XDG_CACHE_HOME/plimsoll)
  --soon <days>          waivers expiring within this many days are "expiring soon" (default 30)
  -q, --quiet            no progress or notes on stderr

Exit codes: 0 report written, 2 usage or policy errors (the report is still written).`;

export const POLICY_USAGE = `Usage: plimsoll policy explain <Dockerfile> [options]
       plimsoll policy check <policy file> [options]

explain  the effective policy after extends and locks, with the file and line each setting comes
         from, and for each image a Dockerfile uses (FROM, COPY --from, RUN --mount=from) which
         entry allowed or denied it, whether its registry is trusted and how it must be pinned.
check    validates a policy file: schema errors, unknown keys, globs that can never match,
         waivers expired or expiring soon. Exit 2 on errors, 1 on warnings, 0 otherwise.

Options:
  --format <f>           text (default) or json
  -o, --output <file>    write to a file instead of stdout
  --policy <file>        (explain) use this policy file instead of the nearest .plimsoll.yaml
  --build-arg <K=V>      (explain) value for an ARG (repeatable)
  --soon <days>          (check) waivers expiring within this many days are reported (default 30)
  --offline              use only cached remote policies
  --cache-dir <dir>      cache folder (default: $XDG_CACHE_HOME/plimsoll)`;

/** Reads the options shared by the governance commands; unknown options are usage errors. */
function readOptions(
  rest: string[],
  allowed: ReadonlySet<string>,
  onPositional: (a: string) => void,
): { get: (name: string) => string | undefined; flags: Set<string>; buildArgs: Record<string, string> } | HelpArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const buildArgs: Record<string, string> = {};
  const aliases: Record<string, string> = { '-o': '--output', '-f': '--format', '-q': '--quiet' };
  const takesValue = new Set(['--format', '--output', '--policy', '--build-arg', '--cache-dir', '--soon']);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const raw = eq > 0 ? a.slice(0, eq) : a;
    const name = aliases[raw] ?? raw;
    if (name === '--help' || name === '-h') return { command: 'help' };
    if (!name.startsWith('-') || name === '-') {
      onPositional(a);
      continue;
    }
    if (!allowed.has(name)) throw new UsageError(`unknown option '${raw}'`);
    if (!takesValue.has(name)) {
      flags.add(name);
      continue;
    }
    let v: string | undefined = eq > 0 ? a.slice(eq + 1) : rest[++i];
    if (v === undefined) throw new UsageError(`${raw} needs a value`);
    if (name === '--build-arg') {
      const k = v.indexOf('=');
      if (k <= 0) throw new UsageError(`--build-arg takes KEY=VALUE, not '${v}'`);
      buildArgs[v.slice(0, k)] = v.slice(k + 1);
      v = undefined;
    }
    if (v !== undefined) values.set(name, v);
  }
  return { get: (n) => values.get(n), flags, buildArgs };
}

function soonDays(v: string | undefined): number {
  if (v === undefined) return 30;
  if (!/^\d{1,4}$/.test(v)) throw new UsageError(`--soon takes a number of days, not '${v}'`);
  return Number(v);
}

function oneOf<T extends string>(name: string, v: string | undefined, values: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!(values as readonly string[]).includes(v)) throw new UsageError(`${name} must be one of ${values.join(', ')}, not '${v}'`);
  return v as T;
}

function parseReportArgs(rest: string[]): ReportArgs | HelpArgs {
  const paths: string[] = [];
  const allowed = new Set(['--format', '--output', '--policy', '--build-arg', '--offline', '--no-registry', '--cache-dir', '--soon', '--quiet']);
  const o = readOptions(rest, allowed, (a) => paths.push(a));
  if ('command' in o) return { command: 'help', topic: 'report' };
  const args: ReportArgs = {
    command: 'report',
    paths: paths.length > 0 ? paths : ['.'],
    format: oneOf('--format', o.get('--format'), ['json', 'html', 'markdown'] as const, 'json'),
    buildArgs: o.buildArgs,
    offline: o.flags.has('--offline'),
    noRegistry: o.flags.has('--no-registry'),
    soonDays: soonDays(o.get('--soon')),
    quiet: o.flags.has('--quiet'),
  };
  const policy = o.get('--policy');
  const output = o.get('--output');
  const cacheDir = o.get('--cache-dir');
  if (policy !== undefined) args.policy = policy;
  if (output !== undefined) args.output = output;
  if (cacheDir !== undefined) args.cacheDir = cacheDir;
  return args;
}

function parsePolicyArgs(rest: string[]): ExplainArgs | CheckArgs | HelpArgs {
  const [sub, ...more] = rest;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') return { command: 'help', topic: 'policy' };
  if (sub !== 'explain' && sub !== 'check') throw new UsageError(`unknown policy command '${sub}'; try 'plimsoll policy explain <Dockerfile>' or 'plimsoll policy check <policy file>'`);
  const positional: string[] = [];
  const allowed = sub === 'explain'
    ? new Set(['--format', '--output', '--policy', '--build-arg', '--offline', '--cache-dir'])
    : new Set(['--format', '--output', '--offline', '--cache-dir', '--soon']);
  const o = readOptions(more, allowed, (a) => positional.push(a));
  if ('command' in o) return { command: 'help', topic: 'policy' };
  const what = sub === 'explain' ? 'a Dockerfile' : 'a policy file';
  if (positional.length !== 1) throw new UsageError(`policy ${sub} takes ${what}${positional.length > 1 ? `, not ${positional.length} paths` : ''}`);
  const format = oneOf('--format', o.get('--format'), ['text', 'json'] as const, 'text');
  const output = o.get('--output');
  const cacheDir = o.get('--cache-dir');
  const common = { format, offline: o.flags.has('--offline'), ...(output !== undefined ? { output } : {}), ...(cacheDir !== undefined ? { cacheDir } : {}) };
  if (sub === 'check') return { command: 'policy-check', policyFile: positional[0]!, soonDays: soonDays(o.get('--soon')), ...common };
  const policy = o.get('--policy');
  return { command: 'policy-explain', dockerfile: positional[0]!, buildArgs: o.buildArgs, ...common, ...(policy !== undefined ? { policy } : {}) };
}

export function parseArgs(argv: string[]): LintArgs | ReportArgs | ExplainArgs | CheckArgs | HelpArgs | VersionArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command === '--version' || command === '-v') return { command: 'version' };
  if (command === 'report') return parseReportArgs(rest);
  if (command === 'policy') return parsePolicyArgs(rest);
  if (command !== 'lint') throw new UsageError(`unknown command '${command}'; try 'plimsoll lint <dir>', 'plimsoll report <dir>' or 'plimsoll policy explain <Dockerfile>'`);
  const args: LintArgs = { command: 'lint', paths: [], format: 'text', failOn: 'error', buildArgs: {}, fix: false, quiet: false, offline: false, noRegistry: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--policy':
        args.policy = value();
        break;
      case '--format':
      case '-f': {
        const v = value() as Format;
        if (!FORMATS.includes(v)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not '${v}'`);
        args.format = v;
        break;
      }
      case '--fail-on': {
        const v = value() as FailOn;
        if (!FAIL_ON.includes(v)) throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}, not '${v}'`);
        args.failOn = v;
        break;
      }
      case '--build-arg': {
        const v = value();
        const k = v.indexOf('=');
        if (k <= 0) throw new UsageError(`--build-arg takes KEY=VALUE, not '${v}'`);
        args.buildArgs[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      case '--output':
      case '-o':
        args.output = value();
        break;
      case '--cache-dir':
        args.cacheDir = value();
        break;
      case '--image': {
        const v = value();
        if (!parseImageRef(v)) throw new UsageError(`--image takes an image reference such as registry.acme.internal/team/app:main, not '${v}'`);
        args.image = v;
        break;
      }
      case '--fix':
        args.fix = true;
        break;
      case '--offline':
        args.offline = true;
        break;
      case '--no-registry':
        args.noRegistry = true;
        break;
      case '--quiet':
      case '-q':
        args.quiet = true;
        break;
      case '--help':
      case '-h':
        return { command: 'help' };
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
        args.paths.push(a);
    }
  }
  if (args.paths.length === 0) args.paths.push('.');
  return args;
}
