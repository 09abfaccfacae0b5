// The registry layer's front door: turns references into the plain facts the engine judges.
// Ordinary failures never throw; they come back as `error` on the facts. See docs/registry.md.
import { AuthManager } from './auth.ts';
import { RegistryCache, defaultCacheDir, type ContentEntry } from './cache.ts';
import { Distribution } from './distribution.ts';
import { dockerConfigCredentials, type Credential, type Env } from './dockerConfig.ts';
import { createEngineSource, type EngineOptions, type EngineSource } from './engine.ts';
import { RegistryError, redactingLogger, type Logger, type RegistryErrorCode } from './errors.ts';
import { HttpClient, type HttpSettings } from './http.ts';
import { SingleFlight, mapLimit } from './limit.ts';
import {
  ATTESTATION_SUBJECT_ANNOTATION,
  isAttestation,
  layerFacts,
  parseImageConfig,
  parseManifest,
  platformMatches,
  predicateTypes,
  type Descriptor,
  type ManifestDocument,
} from './manifest.ts';
import { formatReference, normalizeRepository, parseReference, parseRepository, repositoryName, type ImageReference } from './reference.ts';
import type { AttestationFact, ImageFacts, ManifestFact, RegistryFacts, RepositoryFacts } from '../core/facts.ts';

export type CredentialSource = Record<string, Credential> | ((registry: string) => Promise<Credential | undefined>);

export interface RegistryClientOptions {
  /** Registry name to base URL, e.g. `{ 'localhost:5000': 'http://127.0.0.1:5000' }`. */
  endpoints?: Record<string, string>;
  /** Registry names spoken to over plain http. Loopback registries always are. */
  insecureRegistries?: string[];
  /** Explicit credentials; when given, the Docker config is not read. */
  credentials?: CredentialSource;
  /** Path of a Docker `config.json`, or false to read none. Default: `$DOCKER_CONFIG` or `~/.docker`. */
  dockerConfig?: string | false;
  /** Run `docker-credential-*` helpers named in the Docker config. Off for untrusted workspaces. Default true. */
  allowCredentialHelpers?: boolean;
  /** Environment for `DOCKER_CONFIG`, `HOME`, `XDG_CACHE_HOME`, `DOCKER_HOST` and helpers' `PATH`. Default `process.env`. */
  env?: Env;
  /** Disk cache directory, or false for memory only. Default `$XDG_CACHE_HOME/plimsoll` or `~/.cache/plimsoll`. */
  cacheDir?: string | false;
  /** Answer only from the disk cache; never touch the network. */
  offline?: boolean;
  /** How long a tag-to-digest answer is reused. Default 10 minutes. */
  tagTtlMs?: number;
  /** How long a tag list is reused. Default 1 hour. */
  tagListTtlMs?: number;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  concurrencyPerHost?: number;
  userAgent?: string;
  /** Default 4 MiB. */
  maxManifestBytes?: number;
  /** Cap for configs and attestation blobs. Default 16 MiB. */
  maxBlobBytes?: number;
  /** `n` per tag-list page; default: the registry's choice. */
  tagPageSize?: number;
  /** Default 50. */
  maxTagPages?: number;
  /** References resolved at once by `collectFacts`. Default 4. */
  concurrency?: number;
  /** Local Docker Engine fallback for images no registry has. False to disable. Default: on if its socket exists. */
  engine?: EngineOptions | false;
  /** Receives redacted messages only. */
  log?: Logger;
  /** Clock, for tests of expiry. */
  now?: () => number;
}

export interface ImageFactsOptions {
  /** Only these platforms of an index (`linux/amd64`, `linux/arm/v7`). Default: all. */
  platforms?: string[];
  /** Read image configs (history, labels, env). Default true. */
  config?: boolean;
  /** Read attestation manifests for their predicate types. Default true. */
  attestations?: boolean;
  signal?: AbortSignal;
}

export interface CollectOptions extends ImageFactsOptions {
  /** List the tags of every repository referenced. Default true. */
  tags?: boolean;
  /** Check that pinned digests still exist (`repository@digest` keys). Default true. */
  digests?: boolean;
}

export interface RegistryClient {
  getImageFacts(ref: string, options?: ImageFactsOptions): Promise<ImageFacts>;
  listTags(repository: string, options?: { signal?: AbortSignal }): Promise<RepositoryFacts>;
  /** True or false when the registry said so; undefined when it could not tell (offline, errors). */
  digestExists(repository: string, digest: string, options?: { signal?: AbortSignal }): Promise<boolean | undefined>;
  collectFacts(refs: readonly string[], options?: CollectOptions): Promise<RegistryFacts>;
  /** Reads one blob whole, digest-verified; throws RegistryError. For callers that need a layer or an SBOM. */
  readBlob(repository: string, digest: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer>;
  /** The disk cache directory in use, if any. */
  readonly cacheDir: string | undefined;
  close(): Promise<void>;
}

/** Codes after which a locally built image in the Docker Engine is worth a look. */
const ENGINE_FALLBACK = new Set<RegistryErrorCode>(['NOT_FOUND', 'UNAUTHORIZED', 'DENIED', 'NETWORK', 'TIMEOUT', 'NOT_CACHED']);
/** Codes after which a stale cached answer beats no answer. */
const STALE_OK = new Set<RegistryErrorCode>(['NETWORK', 'TIMEOUT', 'RATE_LIMITED', 'REGISTRY_ERROR']);

/**
 * What one lookup used: whether it went to the network, and the oldest cache entry it relied on.
 * For a tag, the age is that of the tag-to-digest answer; digest-addressed content never goes stale.
 */
interface Trace {
  network: boolean;
  oldest: number;
  contentAges: boolean;
}

interface Fetched<T> {
  value: T;
  fromNetwork: boolean;
  fetchedAt: number;
}

function asRegistryError(e: unknown): RegistryError {
  if (e instanceof RegistryError) return e;
  return new RegistryError('INTERNAL', `unexpected failure: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const { redactor, log } = redactingLogger(options.log);
  const offline = options.offline === true;
  const tagTtl = options.tagTtlMs ?? 10 * 60_000;
  const tagListTtl = options.tagListTtlMs ?? 60 * 60_000;

  const httpSettings: Partial<HttpSettings> = {};
  if (options.timeoutMs !== undefined) httpSettings.timeoutMs = options.timeoutMs;
  if (options.retries !== undefined) httpSettings.retries = options.retries;
  if (options.retryBaseMs !== undefined) httpSettings.retryBaseMs = options.retryBaseMs;
  if (options.maxRetryDelayMs !== undefined) httpSettings.maxRetryDelayMs = options.maxRetryDelayMs;
  if (options.concurrencyPerHost !== undefined) httpSettings.concurrencyPerHost = options.concurrencyPerHost;
  if (options.userAgent !== undefined) httpSettings.userAgent = options.userAgent;
  const http = new HttpClient(httpSettings, log, now);

  let credentials: (registry: string) => Promise<Credential | undefined>;
  const given = options.credentials;
  if (typeof given === 'function') credentials = given;
  else if (given !== undefined) credentials = (registry) => Promise.resolve(given[registry]);
  else if (options.dockerConfig === false) credentials = () => Promise.resolve(undefined);
  else {
    credentials = dockerConfigCredentials({
      env,
      allowCredentialHelpers: options.allowCredentialHelpers !== false,
      log,
      ...(typeof options.dockerConfig === 'string' ? { configPath: options.dockerConfig } : {}),
    });
  }
  const auth = new AuthManager({ http, credentials, redactor, log, now, clientId: 'plimsoll' });
  const endpointOptions = {
    ...(options.endpoints !== undefined ? { endpoints: options.endpoints } : {}),
    ...(options.insecureRegistries !== undefined ? { insecureRegistries: options.insecureRegistries } : {}),
  };
  const dist = new Distribution(http, auth, endpointOptions, {
    manifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
    blobBytes: options.maxBlobBytes ?? 16 * 1024 * 1024,
    maxTagPages: options.maxTagPages ?? 50,
    ...(options.tagPageSize !== undefined ? { tagPageSize: options.tagPageSize } : {}),
  });
  const cache = new RegistryCache(options.cacheDir === false ? undefined : (options.cacheDir ?? defaultCacheDir(env)), log);
  const engine: EngineSource | undefined = options.engine === false ? undefined : createEngineSource({ log, now, ...(options.engine ?? {}) });
  const flights = new SingleFlight();
  const existence = new Map<string, boolean>();

  const notCached = (what: string): RegistryError =>
    new RegistryError('NOT_CACHED', `offline: ${what} is not in the cache${cache.directory !== undefined ? ` (${cache.directory})` : ' (no cache directory)'}`);

  const use = <T>(trace: Trace, f: Fetched<T>, kind: 'tag' | 'content' = 'content'): T => {
    if (f.fromNetwork) trace.network = true;
    else if (kind === 'tag' || trace.contentAges) trace.oldest = Math.min(trace.oldest, f.fetchedAt);
    return f.value;
  };

  /** Digest-addressed content: from cache, else fetched, verified and stored. */
  const content = (ref: ImageReference, digest: string, kind: 'manifest' | 'blob', signal?: AbortSignal): Promise<Fetched<ContentEntry>> =>
    flights.run(`${kind}|${repositoryName(ref)}@${digest}`, async () => {
      const hit = await cache.getContent(digest);
      if (hit !== undefined) return { value: hit, fromNetwork: false, fetchedAt: hit.fetchedAt };
      if (offline) throw notCached(`${kind} ${repositoryName(ref)}@${digest}`);
      let entry: ContentEntry;
      if (kind === 'manifest') {
        const m = await dist.getManifest(ref.registry, ref.repository, digest, signal);
        entry = { bytes: m.bytes, mediaType: m.mediaType, fetchedAt: now() };
      } else {
        const bytes = await dist.getBlob(ref.registry, ref.repository, digest, signal !== undefined ? { signal } : {});
        entry = { bytes, mediaType: '', fetchedAt: now() };
      }
      await cache.putContent(digest, entry);
      return { value: entry, fromNetwork: true, fetchedAt: entry.fetchedAt };
    });

  /** Tag to digest, reusing a cached answer within its TTL (any age offline, or when the registry fails). */
  const resolveTag = (ref: ImageReference, signal?: AbortSignal): Promise<Fetched<string>> => {
    const key = formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' });
    return flights.run(`tag|${key}`, async () => {
      const hit = await cache.getTag(key);
      if (hit !== undefined && (offline || now() - hit.fetchedAt < tagTtl)) return { value: hit.digest, fromNetwork: false, fetchedAt: hit.fetchedAt };
      if (offline) throw notCached(key);
      try {
        const tag = ref.tag ?? 'latest';
        const head = await dist.headManifest(ref.registry, ref.repository, tag, signal);
        let digest = head.digest;
        let mediaType = head.mediaType;
        if (digest === undefined) {
          // Some registries omit Docker-Content-Digest on HEAD; the bytes tell.
          const m = await dist.getManifest(ref.registry, ref.repository, tag, signal);
          digest = m.digest;
          mediaType = m.mediaType;
          await cache.putContent(digest, { bytes: m.bytes, mediaType: m.mediaType, fetchedAt: now() });
        }
        const fetchedAt = now();
        await cache.putTag(key, { digest, fetchedAt, ...(mediaType !== undefined ? { mediaType } : {}) });
        return { value: digest, fromNetwork: true, fetchedAt };
      } catch (e) {
        const err = asRegistryError(e);
        if (hit !== undefined && STALE_OK.has(err.code)) {
          log('warn', `${key}: ${err.message}; using the cached answer from ${new Date(hit.fetchedAt).toISOString()}`);
          return { value: hit.digest, fromNetwork: false, fetchedAt: hit.fetchedAt };
        }
        throw err;
      }
    });
  };

  const loadManifest = async (ref: ImageReference, digest: string, trace: Trace, signal?: AbortSignal): Promise<ManifestDocument> => {
    const entry = use(trace, await content(ref, digest, 'manifest', signal));
    return parseManifest(entry.bytes, entry.mediaType, `manifest ${repositoryName(ref)}@${digest}`);
  };

  const manifestFact = async (ref: ImageReference, desc: Descriptor, trace: Trace, opts: ImageFactsOptions): Promise<ManifestFact> => {
    const doc = await loadManifest(ref, desc.digest, trace, opts.signal);
    if (doc.kind !== 'manifest') throw new RegistryError('UNSUPPORTED', `manifest ${repositoryName(ref)}@${desc.digest}: an index inside an index is not supported`);
    const layers = layerFacts(doc);
    const fact: ManifestFact = { digest: desc.digest, mediaType: doc.mediaType, layers, totalSize: layers.reduce((n, l) => n + l.size, 0) };
    if (desc.platform !== undefined) fact.platform = desc.platform;
    if (doc.annotations !== undefined) fact.annotations = doc.annotations;
    if (opts.config !== false) {
      const entry = use(trace, await content(ref, doc.config.digest, 'blob', opts.signal));
      const parsed = parseImageConfig(entry.bytes, doc.config.digest, `config ${repositoryName(ref)}@${doc.config.digest}`);
      fact.config = parsed.fact;
      if (fact.platform === undefined && parsed.platform !== undefined) fact.platform = parsed.platform;
    }
    return fact;
  };

  const attestationFact = async (ref: ImageReference, desc: Descriptor, trace: Trace, signal?: AbortSignal): Promise<AttestationFact> => {
    const doc = await loadManifest(ref, desc.digest, trace, signal);
    return { subjectDigest: desc.annotations?.[ATTESTATION_SUBJECT_ANNOTATION] ?? '', digest: desc.digest, predicateTypes: predicateTypes(doc) };
  };

  const fromRegistry = async (ref: ImageReference, opts: ImageFactsOptions): Promise<ImageFacts> => {
    const trace: Trace = { network: false, oldest: Infinity, contentAges: ref.digest !== undefined };
    const facts: ImageFacts = { reference: formatReference(ref), manifests: [], attestations: [], fetchedAt: '', fromCache: false };
    const errors: RegistryError[] = [];
    try {
      const digest = ref.digest ?? use(trace, await resolveTag(ref, opts.signal), 'tag');
      facts.digest = digest;
      if (ref.digest !== undefined && ref.tag !== undefined && !offline) {
        try {
          facts.tagDigest = use(trace, await resolveTag(ref, opts.signal), 'tag');
        } catch (e) {
          log('debug', `${facts.reference}: could not check where the tag points now: ${asRegistryError(e).message}`);
        }
      }
      const top = await loadManifest(ref, digest, trace, opts.signal);
      facts.mediaType = top.mediaType;
      if (top.kind === 'manifest') {
        facts.manifests = [await manifestFact(ref, { digest, mediaType: top.mediaType, size: 0 }, trace, opts)];
      } else {
        const wanted = opts.platforms;
        const images = top.manifests.filter(
          (d) =>
            !isAttestation(d) &&
            !(d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') &&
            (wanted === undefined || (d.platform !== undefined && wanted.some((w) => platformMatches(d.platform as NonNullable<typeof d.platform>, w)))),
        );
        const subjects = new Set(images.map((d) => d.digest));
        const attestations = opts.attestations === false ? [] : top.manifests.filter((d) => isAttestation(d) && subjects.has(d.annotations?.[ATTESTATION_SUBJECT_ANNOTATION] ?? ''));
        const [m, a] = await Promise.all([
          Promise.allSettled(images.map((d) => manifestFact(ref, d, trace, opts))),
          Promise.allSettled(attestations.map((d) => attestationFact(ref, d, trace, opts.signal))),
        ]);
        for (const r of m) {
          if (r.status === 'fulfilled') facts.manifests.push(r.value);
          else errors.push(asRegistryError(r.reason));
        }
        for (const r of a) {
          if (r.status === 'fulfilled') facts.attestations.push(r.value);
          else errors.push(asRegistryError(r.reason));
        }
      }
    } catch (e) {
      errors.push(asRegistryError(e));
    }
    facts.fromCache = !trace.network && trace.oldest !== Infinity;
    facts.fetchedAt = new Date(facts.fromCache ? trace.oldest : now()).toISOString();
    const first = errors[0];
    if (first !== undefined) {
      facts.error = { code: first.code, message: redactor.redact(first.message) };
      log(first.code === 'DIGEST_MISMATCH' ? 'error' : 'warn', first.message);
    }
    return facts;
  };

  const getImageFacts = async (input: string, opts: ImageFactsOptions = {}): Promise<ImageFacts> => {
    let ref: ImageReference;
    try {
      ref = parseReference(input);
    } catch (e) {
      const err = asRegistryError(e);
      return { reference: input, manifests: [], attestations: [], fetchedAt: new Date(now()).toISOString(), fromCache: false, error: { code: err.code, message: err.message } };
    }
    const facts = await fromRegistry(ref, opts);
    if (facts.error !== undefined && ENGINE_FALLBACK.has(facts.error.code as RegistryErrorCode) && engine !== undefined) {
      try {
        const local = await engine.getImageFacts(ref);
        if (local !== undefined) {
          log('info', `${facts.reference}: using the local Docker Engine's image (${facts.error.code} from the registry)`);
          return local;
        }
      } catch (e) {
        log('debug', `Docker Engine lookup for ${facts.reference} failed: ${asRegistryError(e).message}`);
      }
    }
    return facts;
  };

  const listTags = async (input: string, opts: { signal?: AbortSignal } = {}): Promise<RepositoryFacts> => {
    let repo: { registry: string; repository: string };
    try {
      repo = parseRepository(input);
    } catch (e) {
      const err = asRegistryError(e);
      return { repository: input, tags: [], fetchedAt: new Date(now()).toISOString(), fromCache: false, error: { code: err.code, message: err.message } };
    }
    const name = repositoryName(repo);
    return flights.run(`tags|${name}`, async () => {
      const hit = await cache.getTagList(name);
      const cached = (entry: NonNullable<typeof hit>): RepositoryFacts => ({
        repository: name,
        tags: entry.tags,
        fetchedAt: new Date(entry.fetchedAt).toISOString(),
        fromCache: true,
        ...(entry.truncated ? { truncated: true } : {}),
      });
      if (hit !== undefined && (offline || now() - hit.fetchedAt < tagListTtl)) return cached(hit);
      try {
        if (offline) throw notCached(`tag list of ${name}`);
        const { tags, truncated } = await dist.listTags(repo.registry, repo.repository, opts.signal);
        const fetchedAt = now();
        await cache.putTagList(name, { tags, truncated, fetchedAt });
        if (truncated) log('warn', `tags of ${name}: stopped after ${options.maxTagPages ?? 50} pages; the list is incomplete`);
        return { repository: name, tags, fetchedAt: new Date(fetchedAt).toISOString(), fromCache: false, ...(truncated ? { truncated: true } : {}) };
      } catch (e) {
        const err = asRegistryError(e);
        if (hit !== undefined && STALE_OK.has(err.code)) {
          log('warn', `${err.message}; using the cached tag list from ${new Date(hit.fetchedAt).toISOString()}`);
          return cached(hit);
        }
        log('warn', err.message);
        return { repository: name, tags: [], fetchedAt: new Date(now()).toISOString(), fromCache: false, error: { code: err.code, message: redactor.redact(err.message) } };
      }
    });
  };

  const digestExists = async (input: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<boolean | undefined> => {
    if (offline) return undefined;
    let ref: ImageReference;
    try {
      ref = parseReference(`${normalizeRepository(input)}@${digest}`);
    } catch (e) {
      log('warn', asRegistryError(e).message);
      return undefined;
    }
    const key = `${repositoryName(ref)}@${digest}`;
    const known = existence.get(key);
    if (known !== undefined) return known;
    try {
      const exists = await flights.run(`exists|${key}`, () => dist.manifestExists(ref.registry, ref.repository, digest, opts.signal));
      existence.set(key, exists);
      return exists;
    } catch (e) {
      log('warn', `could not tell whether ${key} exists: ${asRegistryError(e).message}`);
      return undefined;
    }
  };

  const collectFacts = async (refs: readonly string[], opts: CollectOptions = {}): Promise<RegistryFacts> => {
    const images = new Map<string, ImageFacts>();
    const repositories = new Map<string, RepositoryFacts>();
    const exists = new Map<string, boolean>();
    const unique = new Map<string, ImageReference>();
    for (const input of refs) {
      try {
        const ref = parseReference(input);
        unique.set(formatReference(ref), ref);
      } catch {
        if (!images.has(input)) images.set(input, await getImageFacts(input));
      }
    }
    const limit = options.concurrency ?? 4;
    const { tags: _tags, digests: _digests, ...imageOpts } = opts;
    const repos = [...new Set([...unique.values()].map((r) => repositoryName(r)))];
    const pinned = [...unique.values()].filter((r) => r.digest !== undefined);
    await Promise.all([
      mapLimit([...unique.keys()], limit, async (key) => {
        images.set(key, await getImageFacts(key, imageOpts));
      }),
      opts.tags === false
        ? Promise.resolve()
        : mapLimit(repos, limit, async (name) => {
            repositories.set(name, await listTags(name, opts.signal !== undefined ? { signal: opts.signal } : {}));
          }),
      opts.digests === false
        ? Promise.resolve()
        : mapLimit(pinned, limit, async (ref) => {
            const digest = ref.digest as string;
            const found = await digestExists(repositoryName(ref), digest, opts.signal !== undefined ? { signal: opts.signal } : {});
            if (found !== undefined) exists.set(`${repositoryName(ref)}@${digest}`, found);
          }),
    ]);
    return { images, repositories, digestExists: exists };
  };

  const readBlob = async (input: string, digest: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Buffer> => {
    const repo = parseRepository(input);
    try {
      return await dist.getBlob(repo.registry, repo.repository, digest, opts);
    } catch (e) {
      const err = asRegistryError(e);
      throw new RegistryError(err.code, redactor.redact(err.message), err.status !== undefined ? { status: err.status } : {});
    }
  };

  return {
    getImageFacts,
    listTags,
    digestExists,
    collectFacts,
    readBlob,
    cacheDir: cache.directory,
    async close() {
      await Promise.all([http.close(), engine?.close()]);
    },
  };
}
