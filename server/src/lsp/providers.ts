// Seams for what the registry layer will supply later. The server works fully without them: the defaults
// return nothing, offline findings never wait for them, and a provider that throws or hangs only loses its
// own contribution.
import type { CancellationToken } from 'vscode-languageserver/node';
import type { ImageFacts, ManifestFact, RegistryFacts } from '../core/facts.ts';
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

/** Markdown about one image's provenance for hovers (digest, platforms, layers, labels), or undefined. */
export interface ProvenanceProvider {
  getProvenance(image: string, token: CancellationToken, context: ProviderContext & { facts: ImageFacts | undefined }): Promise<string | undefined>;
}

export const noFacts: FactsProvider = { getFacts: () => Promise.resolve(undefined) };

/** The default: renders whatever facts the facts provider already supplied for the image. */
export const factsProvenance: ProvenanceProvider = {
  getProvenance: (_image, _token, context) => Promise.resolve(context.facts ? renderProvenance(context.facts) : undefined),
};

/** An AbortSignal that follows a cancellation token, for clients that take `signal` (the registry client). */
export function toAbortSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

const platformName = (m: ManifestFact): string | undefined =>
  m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : undefined;

/** The manifest for a `--platform` (`linux/arm64`), else linux/amd64, else the first one. */
export function pickManifest(facts: ImageFacts, platform?: string): ManifestFact | undefined {
  const ms = facts.manifests.filter((m) => m.platform?.os !== 'unknown');
  if (platform) {
    const want = platform.toLowerCase();
    const hit = ms.find((m) => platformName(m) === want) ?? ms.find((m) => want.startsWith(`${platformName(m)}/`) || platformName(m)?.startsWith(want));
    if (hit) return hit;
  }
  return ms.find((m) => platformName(m) === 'linux/amd64') ?? ms[0];
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

export function renderProvenance(facts: ImageFacts, platform?: string): string | undefined {
  const lines: string[] = [];
  if (facts.error) lines.push(`Registry: lookup failed (${code(facts.error.code)}): ${facts.error.message.replace(/[\r\n]+/g, ' ')}`);
  if (facts.digest) lines.push(`Digest: ${code(facts.digest)}`);
  if (facts.tagDigest && facts.tagDigest !== facts.digest) lines.push(`The tag now points to ${code(facts.tagDigest)}`);
  const platforms = facts.manifests.map(platformName).filter((p): p is string => p !== undefined && !p.startsWith('unknown/'));
  if (platforms.length > 0) lines.push(`Platforms: ${platforms.map(code).join(', ')}`);
  const m = pickManifest(facts, platform);
  if (m) {
    const kind = m.sizeKind === 'uncompressed' ? 'uncompressed' : 'compressed';
    lines.push(`Layers: ${m.layers.length}, ${formatBytes(m.totalSize)} ${kind}${platformName(m) ? ` (${platformName(m)})` : ''}`);
    const labels = Object.entries({ ...(m.annotations ?? {}), ...(m.config?.labels ?? {}) }).slice(0, 8);
    if (labels.length > 0) lines.push(`Labels: ${labels.map(([k, v]) => `${code(k)}=${code(v.slice(0, 120))}`).join(', ')}`);
  }
  if (lines.length === 0) return undefined;
  const when = facts.fetchedAt ? ` · fetched ${facts.fetchedAt}${facts.fromCache ? ' (cache)' : ''}` : '';
  lines.push(`_${facts.source === 'engine' ? 'local Docker Engine' : 'registry'}${when}_`);
  return lines.join('  \n');
}
