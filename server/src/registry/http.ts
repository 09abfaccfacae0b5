// The only place that sends HTTP requests to registries and token servers. It owns the safety rules:
// a hard deadline per attempt, a streamed body-size cap, bounded retries with backoff (honouring
// Retry-After), manual redirects that never carry Authorization to another origin, a concurrency
// limit per host, and stopping early when a registry says the pull rate limit is used up.
import type { Agent, Dispatcher } from 'undici';
import { undici } from './undici.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { RegistryError, type Logger } from './errors.ts';
import { KeyedSemaphore } from './limit.ts';

export interface HttpSettings {
  /** Hard deadline for one attempt: connect, headers and the whole body. */
  timeoutMs: number;
  /** Extra attempts after the first, for 429, 5xx and connection failures. */
  retries: number;
  retryBaseMs: number;
  /** Longest wait between attempts; a longer `Retry-After` is not waited for and fails at once. */
  maxRetryDelayMs: number;
  concurrencyPerHost: number;
  userAgent: string;
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  timeoutMs: 20_000,
  retries: 3,
  retryBaseMs: 250,
  maxRetryDelayMs: 10_000,
  concurrencyPerHost: 6,
  userAgent: 'plimsoll',
};

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** A successful body larger than this aborts the transfer with TOO_LARGE. */
  maxBytes: number;
  /** What is being fetched, for messages: `manifest docker.io/library/node:20`. */
  what: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  attempts: number;
}

export interface RateLimitState {
  limit?: number;
  remaining: number;
  windowSeconds?: number;
  seenAt: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_REDIRECTS = 5;
const RATE_LIMIT_RECHECK_MS = 10 * 60_000;
/** Error bodies are only read for their message. */
const ERROR_BODY_BYTES = 64 * 1024;

/** `Retry-After` as a delay in ms: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Docker Hub's `ratelimit-remaining: 76;w=21600` (also plain `76`). */
export function parseRateLimitHeader(value: string | undefined): { value: number; windowSeconds?: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value);
  if (m === null) return undefined;
  const out: { value: number; windowSeconds?: number } = { value: Number(m[1]) };
  if (m[2] !== undefined) out.windowSeconds = Number(m[2]);
  return out;
}

export function rateLimitMessage(host: string, state: RateLimitState | undefined): string {
  const of = state?.limit !== undefined ? ` of ${state.limit}` : '';
  const window = state?.windowSeconds !== undefined ? ` per ${state.windowSeconds} s` : '';
  return `${host}: pull rate limit exhausted (0${of} requests left${window}); stopped early. Log in for a higher limit, use a mirror, or try again later`;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function describeNetworkError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${typeof code === 'string' ? code + ' ' : ''}${e.message}${cause}`;
  }
  return String(e);
}

async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number, failWhenLarger: boolean, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) {
      // Stop the transfer now rather than downloading the rest.
      body.destroy();
      if (failWhenLarger) throw new RegistryError('TOO_LARGE', `${what}: response larger than the ${maxBytes}-byte limit; aborted`);
      chunks.push(buf.subarray(0, buf.length - (total - maxBytes)));
      return Buffer.concat(chunks);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

async function sleep(ms: number, req: HttpRequest): Promise<void> {
  try {
    await delay(ms, undefined, req.signal === undefined ? {} : { signal: req.signal });
  } catch (e) {
    throw new RegistryError('ABORTED', `${req.what}: cancelled`, { cause: e });
  }
}

export class HttpClient {
  readonly settings: HttpSettings;
  private dispatcher: Agent | undefined;
  private readonly backstop: number;
  private readonly limiter: KeyedSemaphore;
  private readonly rateLimits = new Map<string, RateLimitState>();

  constructor(
    settings: Partial<HttpSettings>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_HTTP_SETTINGS, ...settings };
    // undici's own timers are a backstop only; the AbortSignal deadline is the one that counts.
    this.backstop = this.settings.timeoutMs + 5_000;
    this.limiter = new KeyedSemaphore(this.settings.concurrencyPerHost);
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }

  rateLimit(host: string): RateLimitState | undefined {
    return this.rateLimits.get(host);
  }

  /** Sends with retries; returns any final status (the caller maps non-2xx to errors). */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const host = new URL(req.url).host;
    this.checkRateLimit(host, req);
    for (let attempt = 1; ; attempt++) {
      const release = await this.limiter.acquire(host);
      let res: Omit<HttpResponse, 'attempts'> | undefined;
      let failure: unknown;
      try {
        res = await this.attempt(req);
      } catch (e) {
        failure = e;
      } finally {
        release();
      }
      const canRetry = attempt <= this.settings.retries;
      if (res === undefined) {
        if (!(failure instanceof RegistryError) || failure.code !== 'NETWORK' || !canRetry) throw failure;
        const wait = this.backoff(attempt);
        this.log('debug', `${failure.message}; retry ${attempt} of ${this.settings.retries} in ${wait} ms`);
        await sleep(wait, req);
        continue;
      }
      this.noteRateLimit(host, res);
      if (!RETRY_STATUS.has(res.status) || !canRetry) return { ...res, attempts: attempt };
      const retryAfter = parseRetryAfter(res.headers['retry-after'], this.now());
      if (retryAfter !== undefined && retryAfter > this.settings.maxRetryDelayMs) return { ...res, attempts: attempt };
      if (res.status === 429 && retryAfter === undefined && this.rateLimits.get(host)?.remaining === 0) return { ...res, attempts: attempt };
      const wait = retryAfter ?? this.backoff(attempt);
      this.log('debug', `${req.what}: HTTP ${res.status}; retry ${attempt} of ${this.settings.retries} in ${wait} ms`);
      await sleep(wait, req);
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.settings.maxRetryDelayMs, this.settings.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  private checkRateLimit(host: string, req: HttpRequest): void {
    // HEAD requests do not count against Docker Hub's pull limit, so they may still go out.
    if (req.method !== 'GET') return;
    const state = this.rateLimits.get(host);
    if (state === undefined || state.remaining > 0) return;
    // Docker Hub's window slides, so after a while one request may go out to look again
    // (a refused pull does not count against the limit).
    const windowMs = Math.min((state.windowSeconds ?? 60) * 1000, RATE_LIMIT_RECHECK_MS);
    if (this.now() - state.seenAt < windowMs) throw new RegistryError('RATE_LIMITED', rateLimitMessage(host, state));
  }

  private noteRateLimit(host: string, res: Omit<HttpResponse, 'attempts'>): void {
    const remaining = parseRateLimitHeader(res.headers['ratelimit-remaining']);
    const limit = parseRateLimitHeader(res.headers['ratelimit-limit']);
    if (remaining === undefined) return;
    const state: RateLimitState = { remaining: remaining.value, seenAt: this.now() };
    if (limit !== undefined) state.limit = limit.value;
    const windowSeconds = remaining.windowSeconds ?? limit?.windowSeconds;
    if (windowSeconds !== undefined) state.windowSeconds = windowSeconds;
    this.rateLimits.set(host, state);
    if (state.remaining === 0) this.log('warn', rateLimitMessage(host, state));
  }

  private async attempt(req: HttpRequest): Promise<Omit<HttpResponse, 'attempts'>> {
    const deadline = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = req.signal === undefined ? deadline : AbortSignal.any([deadline, req.signal]);
    let url = new URL(req.url);
    let method = req.method;
    let headers: Record<string, string> = { 'user-agent': this.settings.userAgent, ...req.headers };
    const { Agent, request } = await undici();
    const backstop = this.backstop;
    this.dispatcher ??= new Agent({ connect: { timeout: backstop }, headersTimeout: backstop, bodyTimeout: backstop });
    try {
      for (let hop = 0; ; hop++) {
        const res = await request(url, {
          method,
          headers,
          body: method === 'POST' ? (req.body ?? '') : null,
          signal,
          dispatcher: this.dispatcher,
        });
        const resHeaders = flattenHeaders(res.headers);
        const location = resHeaders['location'];
        if (REDIRECTS.has(res.statusCode) && location !== undefined) {
          await res.body.dump();
          if (hop >= MAX_REDIRECTS) throw new RegistryError('BAD_RESPONSE', `${req.what}: more than ${MAX_REDIRECTS} redirects`);
          const next = new URL(location, url);
          if (next.protocol !== 'https:' && next.protocol !== 'http:') {
            throw new RegistryError('BAD_RESPONSE', `${req.what}: redirect to unsupported scheme ${next.protocol}`);
          }
          if (url.protocol === 'https:' && next.protocol === 'http:') {
            throw new RegistryError('INSECURE', `${req.what}: refusing a redirect from https to plain http (${next.host})`);
          }
          if (next.origin !== url.origin) {
            // Blob storage (S3, a CDN) must never see the registry's credentials.
            headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
          }
          if (res.statusCode === 303 && method === 'POST') method = 'GET';
          this.log('debug', `${req.what}: redirected to ${next.origin}${next.pathname}`);
          url = next;
          continue;
        }
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        const declared = Number(resHeaders['content-length']);
        if (ok && method !== 'HEAD' && Number.isFinite(declared) && declared > req.maxBytes) {
          res.body.destroy();
          throw new RegistryError('TOO_LARGE', `${req.what}: response of ${declared} bytes is over the ${req.maxBytes}-byte limit; not downloaded`);
        }
        const body = await readBody(res.body, ok ? req.maxBytes : ERROR_BODY_BYTES, ok, req.what);
        return { status: res.statusCode, headers: resHeaders, body, url: url.toString() };
      }
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      const code = (e as { code?: unknown }).code;
      if (deadline.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new RegistryError('TIMEOUT', `${req.what}: no complete answer from ${url.host} within ${this.settings.timeoutMs} ms`, { cause: e });
      }
      if (req.signal?.aborted === true) throw new RegistryError('ABORTED', `${req.what}: cancelled`, { cause: e });
      throw new RegistryError('NETWORK', `${req.what}: ${url.host}: ${describeNetworkError(e)}`, { cause: e });
    }
  }
}
