// `plimsoll lint`: discover files, load each one's policy (once per policy file), read the build context,
// lint, apply safe fixes when asked, and hand the results to a formatter.
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LintArgs } from './args.ts';
import type { FileReport, ProblemReport, RunReport } from './report.ts';
import { lint, prepareModel, todayUtc, type LintInput, type LintResult } from '../core/lint.ts';
import { applyEdits, planFixes } from '../core/fixes.ts';
import { defaultPolicy, type Policy } from '../core/policy.ts';
import type { RegistryFacts } from '../core/facts.ts';
import { findPolicyFile, loadPolicyAsync, type FetchRemote, type RemoteUse } from '../policy/load.ts';
import { discoverDockerfiles } from '../workspace/discover.ts';
import { readBuildContext } from '../workspace/buildContext.ts';
import { SEVERITY_ORDER } from '../core/types.ts';
import { factsWanted, type FactsRequest } from '../core/registryView.ts';
import { builtImageFor } from '../core/history.ts';
import type { GatherSummary } from '../registry/gather.ts';

/** Files larger than this are reported, not linted (the editor and CI must never hang on one file). */
const MAX_FILE_BYTES = 5_000_000;

export interface LintRunOptions {
  cwd: string;
  version: string;
  /** Called with (done, total) while linting, for a progress line on a TTY. */
  progress?: (done: number, total: number) => void;
  /** Resolves what the engine asks for across all files, each unique image once; absent: no registry facts. */
  gather?: (want: (facts: RegistryFacts) => FactsRequest) => Promise<{ facts: RegistryFacts; summary: GatherSummary }>;
  /** `YYYY-MM-DD` for waiver expiry; default `PLIMSOLL_TODAY`, else today (UTC). */
  today?: string;
  /** Fetches policies that `extends` names by URL; absent: such entries are errors. */
  fetchRemote?: FetchRemote;
  /** Called once per linted file with everything the engine saw (for `plimsoll report`). */
  onFile?: (file: LintedFile) => void;
}

export interface LintedFile {
  path: string;
  input: LintInput;
  result: LintResult;
  /** The policy file in force (absolute), undefined for the defaults. */
  policyFile?: string;
}

interface LoadedPolicy {
  policy: Policy;
  root: string;
  ok: boolean;
  path?: string;
}

export async function runLint(args: LintArgs, options: LintRunOptions): Promise<RunReport> {
  const { cwd } = options;
  const problems: ProblemReport[] = [];
  const discovery = discoverDockerfiles(args.paths, cwd);
  for (const u of discovery.unmatched) problems.push({ file: u, line: 1, column: 1, message: `no Dockerfile found at '${u}'` });

  const policies = new Map<string, LoadedPolicy>();
  const remote = new Map<string, RemoteUse>();
  const policyFor = async (file: string): Promise<LoadedPolicy> => {
    const path = args.policy ? resolve(cwd, args.policy) : findPolicyFile(dirname(file));
    const key = path ?? '';
    const hit = policies.get(key);
    if (hit) return hit;
    let loaded: LoadedPolicy;
    if (!path) loaded = { policy: defaultPolicy(), root: repoRoot(dirname(file)) ?? dirname(file), ok: true };
    else if (!existsSync(path)) {
      problems.push({ file: rel(cwd, path), line: 1, column: 1, message: 'policy file not found' });
      loaded = { policy: defaultPolicy(), root: dirname(path), ok: false };
    } else {
      const { policy, errors, remote: fetched } = await loadPolicyAsync(path, options.fetchRemote ? { fetchRemote: options.fetchRemote } : {});
      for (const e of errors) {
        if (e.severity !== 'error') continue;
        problems.push({ file: rel(cwd, e.file), line: e.line, column: e.column, message: e.message });
      }
      for (const r of fetched) if (!remote.has(r.url)) remote.set(r.url, r);
      loaded = { policy, root: dirname(path), ok: !errors.some((e) => e.severity === 'error'), path };
    }
    policies.set(key, loaded);
    return loaded;
  };

  const root = repoRoot(cwd) ?? cwd;
  const today = options.today ?? process.env.PLIMSOLL_TODAY ?? todayUtc();
  const inputs: Array<{ path: string; input: LintInput; policyFile?: string }> = [];
  if (args.image !== undefined && discovery.files.length > 1) {
    problems.push({ file: '.', line: 1, column: 1, message: `--image names the image of one Dockerfile, but ${discovery.files.length} were found; lint one file, or map each in the policy's builds` });
  }
  for (const path of discovery.files) {
    let text: string;
    try {
      if (statSync(path).size > MAX_FILE_BYTES) {
        problems.push({ file: rel(cwd, path), line: 1, column: 1, message: `file is larger than ${MAX_FILE_BYTES} bytes; not linted` });
        continue;
      }
      text = readFileSync(path, 'utf8');
    } catch (e) {
      problems.push({ file: rel(cwd, path), line: 1, column: 1, message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    const pol = await policyFor(path);
    const input: LintInput = {
      text,
      file: relative(pol.root, path).split(sep).join('/'),
      absolutePath: path.split(sep).join('/'),
      policy: pol.policy,
      buildArgs: args.buildArgs,
      today,
      buildContext: readBuildContext(path),
      onRuleError: (id, error) => problems.push({ file: rel(cwd, path), line: 1, column: 1, message: `internal error in rule ${id}: ${(error as Error).message ?? String(error)}` }),
    };
    const built = args.image ?? builtImageFor(pol.policy, input.file!, input.absolutePath);
    if (built !== undefined) input.builtImage = built;
    inputs.push({ path, input, ...(pol.path !== undefined ? { policyFile: pol.path } : {}) });
  }

  let registry: RunReport['registry'];
  if (options.gather && !args.noRegistry && inputs.length > 0) {
    // The engine's own model (secret references left out), reused by the first lint of each file.
    for (const { input } of inputs) input.model = prepareModel(input.text, input.policy!, args.buildArgs);
    const models = inputs.map(({ input }) => ({ model: input.model!, policy: input.policy!, builtImage: input.builtImage }));
    const { facts, summary } = await options.gather((known) => {
      const all: FactsRequest = { images: new Set(), repositories: new Set() };
      for (const { model, policy, builtImage } of models) {
        const w = factsWanted(model, policy, known, builtImage);
        w.images.forEach((x) => all.images.add(x));
        w.repositories.forEach((x) => all.repositories.add(x));
      }
      return all;
    });
    for (const i of inputs) i.input.facts = facts;
    registry = { offline: args.offline, ...summary };
  }

  const files: FileReport[] = [];
  inputs.forEach(({ path, input, policyFile }, n) => {
    options.progress?.(n, inputs.length);
    let result = lint(input);
    let fixed = 0;
    if (args.fix) {
      // Re-plan after each round: a fix that overlapped another is picked up on the next pass.
      for (let round = 0; round < 5; round++) {
        const plan = planFixes(result.findings);
        if (plan.applied.length === 0) break;
        const next = applyEdits(input.text, plan.document);
        for (const [file, change] of plan.files) {
          const target = join(dirname(path), file);
          const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
          writeFileSync(target, applyEdits(current, change.edits));
        }
        fixed += plan.applied.length;
        if (next !== input.text) writeFileSync(path, next);
        input.text = next;
        delete input.model;
        if (plan.files.size > 0) input.buildContext = readBuildContext(path);
        result = lint(input);
      }
    }
    options.onFile?.({ path, input, result, ...(policyFile !== undefined ? { policyFile } : {}) });
    files.push({
      path,
      display: rel(cwd, path),
      repoPath: relative(root, path).split(sep).join('/'),
      findings: result.findings,
      suppressed: result.suppressed,
      fixed,
    });
  });
  options.progress?.(inputs.length, inputs.length);
  return {
    files,
    problems,
    rootUri: pathToFileURL(root).href,
    version: options.version,
    ...(registry ? { registry } : {}),
    ...(remote.size > 0 ? { remotePolicies: [...remote.values()] } : {}),
  };
}

export function exitCode(run: RunReport, failOn: LintArgs['failOn']): number {
  if (run.problems.length > 0) return 2;
  if (failOn === 'never') return 0;
  const threshold = SEVERITY_ORDER[failOn];
  return run.files.some((f) => f.findings.some((x) => SEVERITY_ORDER[x.severity] >= threshold)) ? 1 : 0;
}

export function rel(cwd: string, p: string): string {
  // Policies fetched by URL are named by their URL.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return p;
  const r = relative(cwd, p);
  return (r.startsWith('..') ? p : r).split(sep).join('/');
}

export function repoRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
