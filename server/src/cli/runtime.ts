// What the commands share at run time: the remote-policy fetcher and the notes on stderr about cached
// registry facts and cached remote policies (so nobody mistakes old or missing facts for fine ones).
import type { FetchRemote, RemoteUse } from '../policy/load.ts';
import type { RunReport } from './report.ts';
import type { RegistryFacts } from '../core/facts.ts';
import type { FactsRequest } from '../core/registryView.ts';
import type * as Registry from '../registry/index.ts';
import type { GatherSummary } from '../registry/gather.ts';
import type { PolicyFetcher } from '../registry/policyFetch.ts';

let registryLayer: typeof Registry | undefined;
/**
 * The registry layer (HTTP, caches, credential helpers, node:crypto, node:child_process) loads when a run
 * first needs it: `lint --no-registry` with no policy extended by URL never does, and starts that much faster.
 */
function registry(): typeof Registry {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require in a function is what keeps it lazy in the bundle
  return (registryLayer ??= require('../registry/index.ts') as typeof Registry);
}

/** The fetcher for policies that `extends` names by URL: cache only with --offline. Created on the first fetch. */
export function policyFetcher(offline: boolean, cacheDir: string | undefined): PolicyFetcher {
  let fetcher: PolicyFetcher | undefined;
  const created = (): PolicyFetcher =>
    (fetcher ??= registry().createPolicyFetcher({
      offline,
      credentialHosts: registry().credentialHostsFromEnv(),
      ...(cacheDir !== undefined ? { cacheDir } : {}),
      ...(process.env.PLIMSOLL_POLICY_TIMEOUT_MS ? { timeoutMs: Number(process.env.PLIMSOLL_POLICY_TIMEOUT_MS) } : {}),
    }));
  const fetch: FetchRemote = (url, integrity) => created().fetch(url, integrity);
  return { fetch, close: () => fetcher?.close() ?? Promise.resolve() };
}

/** One line per remote policy served from the cache, with its age, so stale org policy is visible. */
export function remotePolicyNote(remote: readonly RemoteUse[] | undefined, now = Date.now()): string {
  const lines: string[] = [];
  for (const r of remote ?? []) {
    if (!r.fromCache) continue;
    const days = Math.floor((now - r.fetchedAt) / 86_400_000);
    const when = new Date(r.fetchedAt).toISOString().slice(0, 16).replace('T', ' ');
    lines.push(`plimsoll: policy ${r.url} from the cache, fetched ${when} UTC (${days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`}).`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Says how old offline facts are and which facts are missing, so nobody mistakes "unknown" for "fine". */
export function registryNote(r: NonNullable<RunReport['registry']>): string {
  const lines: string[] = [];
  if (r.offline) {
    const age = r.oldest ? ` (oldest from ${r.oldest.slice(0, 16).replace('T', ' ')} UTC)` : '';
    lines.push(`plimsoll: offline: ${r.fromCache} of ${r.requested} registry facts from the cache${age}.`);
  }
  if (r.missing.length > 0) {
    lines.push(`plimsoll: ${r.missing.length} registry fact${r.missing.length === 1 ? '' : 's'} missing; rules that need them stayed silent:`);
    for (const m of r.missing.slice(0, 20)) lines.push(`  ${m.reference}: ${m.message}`);
    if (r.missing.length > 20) lines.push(`  ... and ${r.missing.length - 20} more`);
  }
  return `${lines.join('\n')}\n`;
}


export interface SessionArgs {
  offline: boolean;
  noRegistry: boolean;
  cacheDir?: string;
  quiet: boolean;
}

export interface SessionHooks {
  fetchRemote: PolicyFetcher['fetch'];
  gather?: (want: (facts: RegistryFacts) => FactsRequest) => Promise<{ facts: RegistryFacts; summary: GatherSummary }>;
  progress?: (done: number, total: number) => void;
}

/**
 * Runs a command with what it needs from outside (the registry client, the remote-policy fetcher, a
 * progress line on a TTY), closes them, and writes the notes about cached or missing facts.
 */
export async function withSession<T extends { registry?: RunReport['registry']; remotePolicies?: readonly RemoteUse[] }>(
  args: SessionArgs,
  run: (hooks: SessionHooks) => Promise<T>,
): Promise<T> {
  const client = args.noRegistry
    ? undefined
    : registry().createRegistryClient({
        offline: args.offline,
        ...(args.cacheDir !== undefined ? { cacheDir: args.cacheDir } : {}),
        ...(process.env.PLIMSOLL_REGISTRY_TIMEOUT_MS ? { timeoutMs: Number(process.env.PLIMSOLL_REGISTRY_TIMEOUT_MS) } : {}),
      });
  const fetcher = policyFetcher(args.offline, args.cacheDir);
  const tty = Boolean(process.stderr.isTTY) && !args.quiet;
  let result: T;
  try {
    result = await run({
      fetchRemote: fetcher.fetch,
      ...(client ? { gather: (want: (facts: RegistryFacts) => FactsRequest) => registry().gatherFacts(client, want) } : {}),
      ...(tty ? { progress: (done: number, total: number) => process.stderr.write(done < total ? `\rplimsoll: ${done}/${total} files` : '\r\x1b[K') } : {}),
    });
  } finally {
    await client?.close();
    await fetcher.close();
  }
  // A pinned policy in the cache is the pinned policy; its age matters to whoever is offline.
  if (!args.quiet && args.offline) process.stderr.write(remotePolicyNote(result.remotePolicies));
  if (!args.quiet && result.registry && (result.registry.offline || result.registry.missing.length > 0)) process.stderr.write(registryNote(result.registry));
  return result;
}
