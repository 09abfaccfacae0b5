// Fetches policies that `extends` names by URL, for the policy loader (which does no HTTP itself).
// Same safety rules as registry traffic, through the same HttpClient: a hard deadline for the whole
// fetch, a streamed size cap, https only (plain http for loopback), redirects that never carry
// credentials to another origin. Credentials are sent only to hosts explicitly listed in
// `credentialHosts` (looked up like registry logins: `docker login <host>` or a credential helper).
//
// A pinned policy is immutable: the disk cache is keyed by URL and integrity pin, and a cached copy
// that still matches its pin is used without asking the network (offline or not). Bytes that do not
// match the pin are never cached.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpClient } from './http.ts';
import { defaultCacheDir } from './cache.ts';
import { dockerConfigCredentials, type Credential, type Env } from './dockerConfig.ts';
import { RegistryError, redactingLogger, type Logger } from './errors.ts';
import type { CredentialSource } from './client.ts';
import { integrityMatches, integrityOf, parseIntegrity, policyUrlProblem } from '../policy/integrity.ts';
import { MAX_POLICY_BYTES, type FetchRemote, type RemoteAnswer } from '../policy/load.ts';

export interface PolicyFetchOptions {
  /** Disk cache directory (the registry cache's), or false for none. Default `$XDG_CACHE_HOME/plimsoll`. */
  cacheDir?: string | false;
  /** Answer from the cache only; never touch the network. */
  offline?: boolean;
  /** Hard deadline for one policy, redirects and retry included. Default 10 s. */
  timeoutMs?: number;
  /** Larger policies are refused mid-transfer. Default: the policy loader's limit (1 MB). */
  maxBytes?: number;
  /** Hosts (`host` or `host:port`) that may be sent credentials. Default: none, so no credentials at all. */
  credentialHosts?: string[];
  /** Where credentials for `credentialHosts` come from. Default: the Docker config (`docker login <host>`). */
  credentials?: CredentialSource;
  /** Run `docker-credential-*` helpers for `credentialHosts`. Default true. */
  allowCredentialHelpers?: boolean;
  env?: Env;
  log?: Logger;
  now?: () => number;
}

export interface PolicyFetcher {
  fetch: FetchRemote;
  close(): Promise<void>;
}

interface CacheFile {
  url: string;
  integrity: string;
  fetchedAt: number;
  body: string;
}

/** Reads `PLIMSOLL_POLICY_CREDENTIAL_HOSTS` (comma-separated hosts), the CLI's way to opt hosts in. */
export function credentialHostsFromEnv(env: Env = process.env): string[] {
  return (env['PLIMSOLL_POLICY_CREDENTIAL_HOSTS'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

function cachePath(dir: string, url: string, integrity: string): string {
  return join(dir, `${createHash('sha256').update(`${url}\n${integrity}`).digest('hex')}.json`);
}

/** The bytes of a cache file when it is the entry for `url` and `integrity` and still matches the pin. */
function cachedBytes(text: string, url: string, integrity: string): { bytes: Buffer; fetchedAt: number } | undefined {
  let entry: Partial<CacheFile>;
  try {
    entry = JSON.parse(text) as Partial<CacheFile>;
  } catch {
    return undefined;
  }
  if (entry.url !== url || entry.integrity !== integrity || typeof entry.body !== 'string' || typeof entry.fetchedAt !== 'number') return undefined;
  const bytes = Buffer.from(entry.body, 'base64');
  return integrityMatches(bytes, integrity) ? { bytes, fetchedAt: entry.fetchedAt } : undefined;
}

/**
 * A pinned policy from the disk cache, synchronously and without any network: for the policy loader's
 * `readRemote` in the editor (an untrusted workspace reads what a trusted run or the CLI cached, and
 * never fetches). Undefined when it is not cached (or the cached copy does not match its pin).
 */
export function readCachedPolicy(url: string, integrity: string, options: { cacheDir?: string; env?: Env } = {}): RemoteAnswer | undefined {
  const dir = join(options.cacheDir ?? defaultCacheDir(options.env ?? process.env), 'policy-v1');
  let text: string;
  try {
    text = readFileSync(cachePath(dir, url, integrity), 'utf8');
  } catch {
    return undefined;
  }
  const hit = cachedBytes(text, url, integrity);
  return hit ? { ...hit, fromCache: true } : undefined;
}

function authorization(c: Credential): string {
  if ('identityToken' in c) return `Bearer ${c.identityToken}`;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export function createPolicyFetcher(options: PolicyFetchOptions = {}): PolicyFetcher {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const { redactor, log } = redactingLogger(options.log);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_POLICY_BYTES;
  const dir = options.cacheDir === false ? undefined : join(options.cacheDir ?? defaultCacheDir(env), 'policy-v1');
  const credentialHosts = new Set((options.credentialHosts ?? []).map((h) => h.toLowerCase()));
  let http: HttpClient | undefined;
  let credentials: ((host: string) => Promise<Credential | undefined>) | undefined;

  const credentialFor = async (host: string): Promise<Credential | undefined> => {
    if (!credentialHosts.has(host.toLowerCase())) return undefined;
    if (credentials === undefined) {
      const given = options.credentials;
      if (typeof given === 'function') credentials = given;
      else if (given !== undefined) credentials = (h) => Promise.resolve(given[h]);
      else credentials = dockerConfigCredentials({ env, allowCredentialHelpers: options.allowCredentialHelpers !== false, log });
    }
    const c = await credentials(host.toLowerCase());
    if (c) redactor.add('password' in c ? c.password : c.identityToken, authorization(c).split(' ')[1]);
    return c;
  };

  const cacheFile = (url: string, integrity: string): string | undefined => (dir === undefined ? undefined : cachePath(dir, url, integrity));

  const fromCache = async (url: string, integrity: string): Promise<RemoteAnswer | undefined> => {
    const file = cacheFile(url, integrity);
    if (file === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    // The cache can be corrupted or tampered with; it is held to the same pin.
    const hit = cachedBytes(text, url, integrity);
    if (!hit) {
      log('warn', `cached policy ${url} is unreadable or does not match its integrity pin; ignoring and removing it`);
      await unlink(file).catch(() => undefined);
      return undefined;
    }
    return { ...hit, fromCache: true };
  };

  const store = async (url: string, integrity: string, bytes: Buffer, fetchedAt: number): Promise<void> => {
    const file = cacheFile(url, integrity);
    if (file === undefined || dir === undefined) return;
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, JSON.stringify({ url, integrity, fetchedAt, body: bytes.toString('base64') } satisfies CacheFile), { mode: 0o600 });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      log('warn', `could not write the policy cache (${(e as NodeJS.ErrnoException).code ?? String(e)}); continuing without it`);
    }
  };

  const fetchOnce: FetchRemote = async (url, integrity) => {
    const problem = policyUrlProblem(url);
    if (problem) return { error: `Policy URL ${url}: ${problem}`, code: 'refused' };
    if (!parseIntegrity(integrity)) return { error: `Policy ${url}: "${integrity}" is not an integrity pin.`, code: 'refused' };
    const cached = await fromCache(url, integrity);
    if (cached) return cached;
    if (options.offline === true) {
      return { error: `Offline: the policy at ${url} is not in the cache${dir !== undefined ? ` (${dir})` : ''}; run once online to cache it.`, code: 'fetch' };
    }
    http ??= new HttpClient({ timeoutMs, retries: 1, retryBaseMs: 200, maxRetryDelayMs: 1_000, concurrencyPerHost: 2 }, log, now);
    const deadline = AbortSignal.timeout(timeoutMs);
    const host = new URL(url).host;
    try {
      const cred = await credentialFor(host);
      const res = await http.send({
        method: 'GET',
        url,
        headers: { accept: 'application/yaml, text/yaml, text/plain;q=0.9, */*;q=0.1', ...(cred ? { authorization: authorization(cred) } : {}) },
        maxBytes,
        what: `policy ${url}`,
        signal: deadline,
      });
      if (res.status !== 200) {
        const hint = res.status === 401 || res.status === 403 ? ` (credentials are sent only to hosts in PLIMSOLL_POLICY_CREDENTIAL_HOSTS${credentialHosts.has(host.toLowerCase()) ? '' : `; ${host} is not one`})` : '';
        return { error: `Could not fetch the policy at ${url}: HTTP ${res.status}${hint}.`, code: 'fetch' };
      }
      if (!integrityMatches(res.body, integrity)) {
        const got = integrityOf(res.body, parseIntegrity(integrity)!.algorithm);
        return { error: `The policy at ${url} does not match its integrity pin (pinned ${integrity}, got ${got}); it is not applied. If the change is expected, review it and update the pin.`, code: 'integrity' };
      }
      const fetchedAt = now();
      await store(url, integrity, res.body, fetchedAt);
      return { bytes: res.body, fetchedAt, fromCache: false };
    } catch (e) {
      let message = e instanceof Error ? e.message : String(e);
      if (deadline.aborted || (e instanceof RegistryError && e.code === 'TIMEOUT')) message = `no complete answer from ${host} within ${timeoutMs} ms`;
      return { error: redactor.redact(`Could not fetch the policy at ${url}: ${message}.`), code: 'fetch' };
    }
  };

  // Many policy files of one run may extend the same URL: one answer per URL and pin, failures included
  // (a registry that is down costs one deadline, not one per repository).
  const answers = new Map<string, Promise<RemoteAnswer>>();
  const fetchRemote: FetchRemote = (url, integrity) => {
    const key = `${integrity} ${url}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = fetchOnce(url, integrity);
      answers.set(key, answer);
    }
    return answer;
  };

  return {
    fetch: fetchRemote,
    close: async () => {
      await http?.close();
    },
  };
}
