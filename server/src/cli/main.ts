// The `plimsoll` command. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or policy errors.
import { writeFileSync } from 'node:fs';
import { parseArgs, POLICY_USAGE, REPORT_USAGE, USAGE, UsageError, type LintArgs } from './args.ts';
import { exitCode, runLint } from './lintCommand.ts';
import { formatText } from './formats/text.ts';
import { formatJson } from './formats/json.ts';
import { formatSarif } from './formats/sarif.ts';
import { formatGithub } from './formats/github.ts';
import type { RunReport } from './report.ts';
import { withSession } from './runtime.ts';
import { runReportCommand } from './reportCommand.ts';
import { runCheckCommand, runExplainCommand } from './policyCommand.ts';

declare const PLIMSOLL_VERSION: string | undefined;
const VERSION = typeof PLIMSOLL_VERSION === 'string' ? PLIMSOLL_VERSION : '0.0.0-dev';

function render(run: RunReport, args: LintArgs, color: boolean): string {
  switch (args.format) {
    case 'json':
      return formatJson(run);
    case 'sarif':
      return formatSarif(run);
    case 'github':
      return formatGithub(run);
    default:
      return formatText(run, { color, quiet: args.quiet });
  }
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`plimsoll: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.command === 'help') {
    process.stdout.write(`${args.topic === 'report' ? REPORT_USAGE : args.topic === 'policy' ? POLICY_USAGE : USAGE}\n`);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (args.command === 'report') return runReportCommand(args, { version: VERSION });
  if (args.command === 'policy-explain') return runExplainCommand(args);
  if (args.command === 'policy-check') return runCheckCommand(args);
  const run = await withSession(args, (hooks) => runLint(args, { cwd: process.cwd(), version: VERSION, ...hooks }));
  const text = render(run, args, Boolean(process.stdout.isTTY) && !args.output && !process.env.NO_COLOR);
  if (args.output) writeFileSync(args.output, text);
  else process.stdout.write(text);
  return exitCode(run, args.failOn);
}

/** Runs the command and sets the exit code; dist/cli.js (loader.ts) calls it after compiling this bundle. */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`plimsoll: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}

// Run directly (`node dist/cli-main.js`, tsx): no loader in front.
if (require.main === module) void runCli(process.argv.slice(2));
