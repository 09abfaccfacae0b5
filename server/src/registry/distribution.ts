// The OCI distribution API (`/v2/...`): manifests, blobs and tag lists, with auth challenges answered
// and every byte verified against its digest. No caching here; see client.ts.
import { RegistryError } from './errors.ts';
import { rateLimitMessage, parseRetryAfter, type HttpClient, type HttpResponse } from './http.ts';
import type { AuthManager } from './auth.ts';
import { registryBaseUrl, type EndpointOptions } from './endpoints.ts';
import { computeDigest, MANIFEST_ACCEPT, nextLink, verifyDigest } from './manifest.ts';

export interface DistributionLimits {
  /** Cap for manifests and indexes (the spec suggests registries accept at least 4 MiB). */
  manifestBytes: number;
  /** Cap for configs and other blobs read whole. */
  blobBytes: number;
  /** Tag-list pages followed at most. */
  maxTagPages: number;
  /** `n` for tag lists; undefined lets the registry choose. */
  tagPageSize?: number;
}

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  size?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** Turns `{"errors":[{"code","message"}]}` or any other body into a short, printable detail. */
export function errorDetail(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors
        .slice(0, 3)
        .map((e: unknown) => {
          const o = (e ?? {}) as { code?: unknown; message?: unknown };
          const code = typeof o.code === 'string' ? o.code : 'ERROR';
          return typeof o.message === 'string' && o.message !== '' ? `${code}: ${o.message}` : code;
        })
        .join('; ')
        .replace(/[\u0000-\u001f\u007f]+/g, ' ')
        .slice(0, 300);
    }
  } catch {
    // Not JSON: fall through to a plain-text snippet.
  }
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

export function responseError(res: HttpResponse, what: string, http: HttpClient): RegistryError {
  const host = new URL(res.url).host;
  const detail = errorDetail(res.body);
  const suffix = detail !== '' ? `: ${detail}` : '';
  const status = res.status;
  switch (status) {
    case 401:
      return new RegistryError('UNAUTHORIZED', `${what}: ${host} requires authentication, or the repository does not exist (HTTP 401${suffix})`, { status });
    case 403:
      return new RegistryError('DENIED', `${what}: access denied by ${host} (HTTP 403${suffix})`, { status });
    case 404:
      return new RegistryError('NOT_FOUND', `${what}: not found on ${host} (HTTP 404${suffix})`, { status });
    case 429: {
      const after = parseRetryAfter(res.headers['retry-after'], Date.now());
      const when = after !== undefined ? `; the registry asks to retry after ${Math.ceil(after / 1000)} s` : '';
      const state = http.rateLimit(host);
      const base = state?.remaining === 0 ? rateLimitMessage(host, state) : `${host}: too many requests (HTTP 429)`;
      return new RegistryError('RATE_LIMITED', `${what}: ${base}${when}${suffix}`, { status });
    }
    default: {
      const tries = res.attempts > 1 ? ` after ${res.attempts} attempts` : '';
      return new RegistryError('REGISTRY_ERROR', `${what}: HTTP ${status} from ${host}${tries}${suffix}`, { status });
    }
  }
}

interface CallOptions {
  method: 'GET' | 'HEAD';
  /** A path under the base URL (`/v2/...`) or an absolute URL on the same origin. */
  target: string;
  headers?: Record<string, string>;
  maxBytes: number;
  what: string;
  signal?: AbortSignal;
}

export class Distribution {
  constructor(
    private readonly http: HttpClient,
    private readonly auth: AuthManager,
    private readonly endpoints: EndpointOptions,
    private readonly limits: DistributionLimits,
  ) {}

  baseUrl(registry: string): string {
    return registryBaseUrl(registry, this.endpoints);
  }

  /** Sends with the cached credentials; on 401 answers the challenge once and retries. */
  private async call(registry: string, repository: string, o: CallOptions): Promise<HttpResponse> {
    const scope = `repository:${repository}:pull`;
    const base = this.baseUrl(registry);
    const url = /^https?:\/\//.test(o.target) ? o.target : base + o.target;
    const send = (authorization: string | undefined): Promise<HttpResponse> =>
      this.http.send({
        method: o.method,
        url,
        headers: { ...o.headers, ...(authorization !== undefined ? { authorization } : {}) },
        maxBytes: o.maxBytes,
        what: o.what,
        ...(o.signal !== undefined ? { signal: o.signal } : {}),
      });
    const cached = this.auth.cached(registry, scope);
    let res = await send(cached);
    if (res.status !== 401) return res;
    if (cached !== undefined) this.auth.invalidate(registry, scope);
    const header = await this.auth.authenticate(registry, base, scope, res.headers['www-authenticate'], o.signal);
    res = await send(header);
    if (res.status === 401) this.auth.invalidate(registry, scope);
    return res;
  }

  /** HEAD a manifest: resolves a tag to its digest without downloading (free on Docker Hub). */
  async headManifest(registry: string, repository: string, reference: string, signal?: AbortSignal): Promise<ManifestHead> {
    const what = `manifest ${registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.call(registry, repository, {
      method: 'HEAD',
      target: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      maxBytes: 0,
      what,
      ...(signal !== undefined ? { signal } : {}),
    });
    if (res.status !== 200) throw responseError(res, what, this.http);
    const out: ManifestHead = {};
    const digest = res.headers['docker-content-digest'];
    if (digest !== undefined && /^sha(256|512):[a-f0-9]+$/.test(digest)) out.digest = digest;
    const type = res.headers['content-type']?.split(';')[0]?.trim();
    if (type !== undefined && type !== '') out.mediaType = type;
    const size = Number(res.headers['content-length']);
    if (Number.isFinite(size)) out.size = size;
    return out;
  }

  /**
   * GET a manifest by tag or digest. By digest, the bytes must hash to it; by tag, to the
   * registry's `Docker-Content-Digest` when sent, otherwise the digest is computed from the bytes.
   */
  async getManifest(registry: string, repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    const what = `manifest ${registry}/${repository}${byDigest ? '@' : ':'}${reference}`;
    const res = await this.call(registry, repository, {
      method: 'GET',
      target: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      maxBytes: this.limits.manifestBytes,
      what,
      ...(signal !== undefined ? { signal } : {}),
    });
    if (res.status !== 200) throw responseError(res, what, this.http);
    const header = res.headers['docker-content-digest'];
    const expected = byDigest ? reference : header;
    if (expected !== undefined) verifyDigest(res.body, expected, what);
    const mediaType = res.headers['content-type']?.split(';')[0]?.trim() ?? '';
    return { bytes: res.body, mediaType, digest: expected ?? computeDigest(res.body) };
  }

  /** GET a blob whole (configs, small attestations), verified against its digest. */
  async getBlob(registry: string, repository: string, digest: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Buffer> {
    const what = `blob ${registry}/${repository}@${digest}`;
    const res = await this.call(registry, repository, {
      method: 'GET',
      target: `/v2/${repository}/blobs/${digest}`,
      maxBytes: options.maxBytes ?? this.limits.blobBytes,
      what,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    if (res.status !== 200) throw responseError(res, what, this.http);
    verifyDigest(res.body, digest, what);
    return res.body;
  }

  /** Whether the repository still has this manifest: true, false (404), or an error. */
  async manifestExists(registry: string, repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.headManifest(registry, repository, digest, signal);
      return true;
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'NOT_FOUND') return false;
      throw e;
    }
  }

  /** All tags, following `Link: <...>; rel="next"` pages (relative or absolute, same origin only). */
  async listTags(registry: string, repository: string, signal?: AbortSignal): Promise<{ tags: string[]; truncated: boolean }> {
    const what = `tags of ${registry}/${repository}`;
    const base = new URL(this.baseUrl(registry));
    const first = new URL(`${base.toString().replace(/\/$/, '')}/v2/${repository}/tags/list`);
    if (this.limits.tagPageSize !== undefined) first.searchParams.set('n', String(this.limits.tagPageSize));
    const tags: string[] = [];
    let url: string | undefined = first.toString();
    for (let page = 0; url !== undefined; page++) {
      if (page >= this.limits.maxTagPages) return { tags: [...new Set(tags)], truncated: true };
      const res: HttpResponse = await this.call(registry, repository, {
        method: 'GET',
        target: url,
        maxBytes: this.limits.manifestBytes,
        what,
        ...(signal !== undefined ? { signal } : {}),
      });
      if (res.status !== 200) throw responseError(res, what, this.http);
      let body: { tags?: unknown };
      try {
        body = JSON.parse(res.body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new RegistryError('BAD_RESPONSE', `${what}: not valid JSON`);
      }
      // An empty repository answers `"tags": null`.
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === 'string') tags.push(t);
      const link = nextLink(res.headers['link']);
      if (link === undefined) break;
      const next = new URL(link, res.url);
      if (next.origin !== base.origin) {
        throw new RegistryError('BAD_RESPONSE', `${what}: next page points to another origin (${next.host}); not following it`);
      }
      url = next.toString();
    }
    // Some registries repeat entries across pages; a tag is a tag once.
    return { tags: [...new Set(tags)], truncated: false };
  }
}
