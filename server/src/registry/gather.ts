// Resolves what the engine asks for (core/registryView.factsWanted) for many files at once: each unique
// image once, in at most two rounds (the second asks for the tags a bump or a replacement would move to).
import type { RegistryFacts } from '../core/facts.ts';
import type { FactsRequest } from '../core/registryView.ts';
import type { RegistryClient } from './client.ts';

export interface GatherSummary {
  /** Images and repositories asked for, and how many answered from the cache. */
  requested: number;
  fromCache: number;
  /** References the registry (or, offline, the cache) could not answer, with why. */
  missing: Array<{ reference: string; code: string; message: string }>;
  /** ISO time of the oldest cached fact used, for "offline facts are N days old". */
  oldest?: string;
}

export function emptyFacts(): RegistryFacts {
  return { images: new Map(), repositories: new Map(), digestExists: new Map() };
}

/**
 * `want(facts)` returns the union of what every file would like to know given the facts so far; it is
 * called again after each round until it asks for nothing new (at most `rounds` times).
 */
export async function gatherFacts(
  client: RegistryClient,
  want: (facts: RegistryFacts) => FactsRequest,
  rounds = 2,
  signal?: AbortSignal,
): Promise<{ facts: RegistryFacts; summary: GatherSummary }> {
  const opts = signal ? { signal } : {};
  const facts = emptyFacts();
  const asked = new Set<string>();
  for (let round = 0; round < rounds; round++) {
    const req = want(facts);
    const images = [...req.images].filter((r) => !asked.has(r));
    const repos = [...req.repositories].filter((r) => !asked.has(`repo:${r}`));
    if (images.length === 0 && repos.length === 0) break;
    images.forEach((r) => asked.add(r));
    if (signal?.aborted) break;
    const got = await client.collectFacts(images, opts);
    for (const [k, v] of got.images) facts.images.set(k, v);
    for (const [k, v] of got.repositories) {
      facts.repositories.set(k, v);
      asked.add(`repo:${k}`);
    }
    for (const [k, v] of got.digestExists ?? []) facts.digestExists!.set(k, v);
    const extra = repos.filter((r) => !facts.repositories.has(r));
    await Promise.all(
      extra.map(async (r) => {
        asked.add(`repo:${r}`);
        facts.repositories.set(r, await client.listTags(r, opts));
      }),
    );
  }
  return { facts, summary: summarise(facts) };
}

function summarise(facts: RegistryFacts): GatherSummary {
  const summary: GatherSummary = { requested: 0, fromCache: 0, missing: [] };
  const all = [...facts.images.entries(), ...facts.repositories.entries()];
  for (const [ref, f] of all) {
    summary.requested++;
    if (f.error) summary.missing.push({ reference: ref, code: f.error.code, message: f.error.message });
    else if (f.fromCache) {
      summary.fromCache++;
      if (summary.oldest === undefined || f.fetchedAt < summary.oldest) summary.oldest = f.fetchedAt;
    }
  }
  return summary;
}
