// Seams for what the registry layer will supply later. The server works fully without them: the defaults
// return nothing, offline findings never wait for them, and a provider that throws or hangs only loses its
// own contribution.
import type { CancellationToken } from 'vscode-languageserver/node';
import type { ImageFacts, RegistryFacts } from '../core/facts.ts';
import type { FactsRequest } from '../core/registryView.ts';

export interface ProviderContext {
  /** The document the request is for. */
  uri: string;
  /** The `plimsoll.offline` setting: answer from cache only, never the network. */
  offline: boolean;
  /** False in an untrusted workspace: no network, no credential helpers, no `extends` URLs. */
  trusted: boolean;
  /**
   * What the engine would like to know, given the facts so far (core/registryView.factsWanted): a second round
   * asks for the tags a bump or a replacement would move to. Absent: just the images.
   */
  want?: (facts: RegistryFacts) => FactsRequest;
}

/** Registry facts for a document's images (normalised references). Resolving undefined means "none". */
export interface FactsProvider {
  getFacts(images: string[], token: CancellationToken, context: ProviderContext): Promise<RegistryFacts | undefined>;
  /** Forget cached facts (the client's "refresh registry cache"); the server re-checks afterwards. */
  refresh?(): Promise<void> | void;
}

/**
 * Extra Markdown about one image for hovers, for providers that need more than the facts already gathered.
 * Without one, hovers render the engine's provenance (core/provenance.ts) from the facts.
 */
export interface ProvenanceProvider {
  getProvenance(image: string, token: CancellationToken, context: ProviderContext & { facts: ImageFacts | undefined }): Promise<string | undefined>;
}

export const noFacts: FactsProvider = { getFacts: () => Promise.resolve(undefined) };

/** An AbortSignal that follows a cancellation token, for clients that take `signal` (the registry client). */
export function toAbortSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
