// argv for `plimsoll lint`. Mistakes are usage errors (exit 2) with a message that says what to write instead.
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

export interface HelpArgs {
  command: 'help';
}

export interface VersionArgs {
  command: 'version';
}

export class UsageError extends Error {}

const FORMATS: Format[] = ['text', 'json', 'sarif', 'github'];
const FAIL_ON: FailOn[] = ['error', 'warning', 'info', 'never'];

export const USAGE = `Usage: plimsoll lint [paths or globs...] [options]

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
  --offline              use only cached registry facts
  --no-registry          do not use registry facts at all
  --cache-dir <dir>      registry cache folder (default: $XDG_CACHE_HOME/plimsoll)
  -q, --quiet            print findings only, no summary or progress
  -h, --help             show this help
  --version              show the version

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or policy errors.`;

export function parseArgs(argv: string[]): LintArgs | HelpArgs | VersionArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command === '--version' || command === '-v') return { command: 'version' };
  if (command !== 'lint') throw new UsageError(`unknown command '${command}'; try 'plimsoll lint <dir>'`);
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
