// Where a registry name is actually served from. Injectable so tests (and mirrors) can point a
// registry name at any base URL.
import { DOCKER_HUB } from './reference.ts';

export interface EndpointOptions {
  /** Registry name to base URL, e.g. `{ 'localhost:5000': 'http://127.0.0.1:5000' }`. Wins over everything. */
  endpoints?: Record<string, string>;
  /** Registry names spoken to over plain http (as Docker's `insecure-registries`). */
  insecureRegistries?: string[];
}

function hostOnly(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** Docker talks plain http to loopback registries without being told; so do we. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOnly(registry);
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The base URL (no trailing slash) of the registry's `/v2/` API. */
export function registryBaseUrl(registry: string, options: EndpointOptions = {}): string {
  const mapped = options.endpoints?.[registry];
  if (mapped !== undefined) return mapped.replace(/\/+$/, '');
  if (registry === DOCKER_HUB || registry === 'index.docker.io') return 'https://registry-1.docker.io';
  const insecure = isLoopbackRegistry(registry) || (options.insecureRegistries ?? []).includes(registry);
  return `${insecure ? 'http' : 'https'}://${registry}`;
}
