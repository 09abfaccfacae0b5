// `plimsoll report`: lint every Dockerfile found exactly as `plimsoll lint` does (same discovery,
// policies, registry gather and engine), feed each result to the estate accumulator as it comes, and
// render the figures as JSON, HTML or Markdown.
import { writeFileSync } from 'node:fs';
import type { LintArgs, ReportArgs } from './args.ts';
import { rel, runLint, type LintRunOptions } from './lintCommand.ts';
import { withSession } from './runtime.ts';
import { renderEstateJson, type EstateMeta } from './estate/json.ts';
import { renderEstateHtml } from './estate/html.ts';
import { renderEstateMarkdown } from './estate/markdown.ts';
import { EstateAccumulator, type EstateReport } from '../core/estate.ts';
import { todayUtc } from '../core/lint.ts';

export interface ReportRunOptions {
  cwd: string;
  version: string;
  today?: string;
  gather?: LintRunOptions['gather'];
  fetchRemote?: LintRunOptions['fetchRemote'];
  progress?: LintRunOptions['progress'];
}

export interface BuiltReport {
  report: EstateReport;
  meta: EstateMeta;
  remotePolicies?: NonNullable<Awaited<ReturnType<typeof runLint>>['remotePolicies']>;
  registry?: Awaited<ReturnType<typeof runLint>>['registry'];
}

export async function buildReport(args: ReportArgs, options: ReportRunOptions): Promise<BuiltReport> {
  const today = options.today ?? todayUtc();
  const acc = new EstateAccumulator({ today, soonDays: args.soonDays, showFile: (f) => rel(options.cwd, f) });
  const lintArgs: LintArgs = {
    command: 'lint',
    paths: args.paths,
    format: 'json',
    failOn: 'never',
    buildArgs: args.buildArgs,
    fix: false,
    quiet: args.quiet,
    offline: args.offline,
    noRegistry: args.noRegistry,
    ...(args.policy !== undefined ? { policy: args.policy } : {}),
    ...(args.cacheDir !== undefined ? { cacheDir: args.cacheDir } : {}),
  };
  const run = await runLint(lintArgs, {
    cwd: options.cwd,
    version: options.version,
    today,
    ...(options.gather ? { gather: options.gather } : {}),
    ...(options.fetchRemote ? { fetchRemote: options.fetchRemote } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
    // Each file is folded in as soon as it is linted, so its model need not outlive the lint.
    onFile: ({ path, input, result, policyFile }) =>
      acc.add(
        {
          display: rel(options.cwd, path),
          file: input.file ?? path,
          ...(input.absolutePath !== undefined ? { absolutePath: input.absolutePath } : {}),
          ...(policyFile !== undefined ? { policyFile: rel(options.cwd, policyFile) } : {}),
          policy: input.policy!,
          model: result.model,
          findings: result.findings,
          suppressed: result.suppressed,
        },
        input.facts,
      ),
  });
  const meta: EstateMeta = { version: options.version, problems: run.problems };
  if (run.registry) {
    meta.registry = { offline: run.registry.offline, requested: run.registry.requested, fromCache: run.registry.fromCache, missing: run.registry.missing.length };
    if (run.registry.oldest !== undefined) meta.registry.oldest = run.registry.oldest;
  }
  return { report: acc.finish(), meta, ...(run.remotePolicies ? { remotePolicies: run.remotePolicies } : {}), ...(run.registry ? { registry: run.registry } : {}) };
}

export function renderReport(format: ReportArgs['format'], built: Pick<BuiltReport, 'report' | 'meta'>): string {
  switch (format) {
    case 'html':
      return renderEstateHtml(built.report, built.meta);
    case 'markdown':
      return renderEstateMarkdown(built.report, built.meta);
    default:
      return renderEstateJson(built.report, built.meta);
  }
}

export async function runReportCommand(args: ReportArgs, options: { version: string }): Promise<number> {
  const built = await withSession(args, (hooks) =>
    buildReport(args, {
      cwd: process.cwd(),
      version: options.version,
      ...hooks,
      ...(process.env.PLIMSOLL_TODAY ? { today: process.env.PLIMSOLL_TODAY } : {}),
    }),
  );
  if (!args.quiet) for (const p of built.meta.problems) process.stderr.write(`plimsoll: ${p.file}:${p.line}:${p.column}: ${p.message}\n`);
  const text = renderReport(args.format, built);
  if (args.output !== undefined) writeFileSync(args.output, text);
  else process.stdout.write(text);
  return built.meta.problems.length > 0 ? 2 : 0;
}
