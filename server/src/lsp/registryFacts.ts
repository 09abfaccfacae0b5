// The registry-backed facts provider: one registry client per trust/offline mode, each unique image resolved
// once (and cached on disk by the client). An untrusted workspace gets the cache only: no network, no Docker
// config and no credential helpers.
import type { RegistryFacts } from '../core/facts.ts';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../registry/index.ts';
import { gatherFacts } from '../registry/gather.ts';
import { toAbortSignal, type FactsProvider, type ProviderContext } from './providers.ts';

export function registryFactsProvider(base: RegistryClientOptions = {}): FactsProvider {
  const clients = new Map<string, RegistryClient>();
  // After "refresh registry cache" the next lookups ignore cached tag answers once.
  let fresh = false;

  const clientFor = (ctx: ProviderContext): RegistryClient => {
    const offline = ctx.offline || !ctx.trusted;
    const key = `${offline}:${ctx.trusted}:${fresh}`;
    let client = clients.get(key);
    if (!client) {
      client = createRegistryClient({
        ...base,
        offline,
        ...(ctx.trusted ? {} : { allowCredentialHelpers: false, dockerConfig: false, engine: false }),
        ...(fresh ? { tagTtlMs: 0, tagListTtlMs: 0 } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };

  const closeAll = async () => {
    const all = [...clients.values()];
    clients.clear();
    await Promise.all(all.map((c) => c.close()));
  };

  return {
    async getFacts(images, token, ctx): Promise<RegistryFacts | undefined> {
      if (images.length === 0) return undefined;
      const client = clientFor(ctx);
      const want = ctx.want ?? (() => ({ images: new Set(images), repositories: new Set<string>() }));
      const { facts } = await gatherFacts(client, want, 2, toAbortSignal(token));
      if (fresh) {
        fresh = false;
        await closeAll();
      }
      return facts;
    },
    async refresh() {
      fresh = true;
      await closeAll();
    },
  };
}
