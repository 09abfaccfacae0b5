// Registry authentication: answers `WWW-Authenticate` challenges. Bearer challenges get a token from
// the realm (anonymously, with Basic credentials, or by OAuth2 refresh-token grant for identity
// tokens); tokens are reused per registry and scope until they expire. Basic challenges get Basic.
import { RegistryError, type Logger, type Redactor } from './errors.ts';
import type { HttpClient } from './http.ts';
import type { Credential } from './dockerConfig.ts';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="registry",scope="repository:x:pull", Basic realm="r"`. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skip = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skip();
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    while (s[i] === ' ') i++;
    if (s[i] === '=') {
      i++;
      while (s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\') i++;
          value += s[i] ?? '';
          i++;
        }
        i++;
      } else {
        const vStart = i;
        while (i < s.length && s[i] !== ',') i++;
        value = s.slice(vStart, i).trim();
      }
      if (current !== undefined) current.params[name.toLowerCase()] = value;
    } else {
      // A bare token starts a new challenge: it is the scheme.
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

export interface AuthDeps {
  http: HttpClient;
  credentials: (registry: string) => Promise<Credential | undefined>;
  redactor: Redactor;
  log: Logger;
  now: () => number;
  clientId: string;
}

/** Tokens are treated as expired this long before they really are. */
const EXPIRY_SKEW_MS = 10_000;
const TOKEN_RESPONSE_BYTES = 1024 * 1024;

export class AuthManager {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly basic = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly creds = new Map<string, Promise<Credential | undefined>>();

  constructor(private readonly deps: AuthDeps) {}

  /** A cached Authorization header for this registry and scope, if one is known and fresh. */
  cached(registry: string, scope: string): string | undefined {
    const basic = this.basic.get(registry);
    if (basic !== undefined) return basic;
    const token = this.tokens.get(`${registry}|${scope}`);
    if (token !== undefined && token.expiresAt > this.deps.now()) return token.header;
    return undefined;
  }

  /** Forget a header the registry rejected, so the next challenge fetches a fresh one. */
  invalidate(registry: string, scope: string): void {
    this.tokens.delete(`${registry}|${scope}`);
    this.basic.delete(registry);
  }

  private credential(registry: string): Promise<Credential | undefined> {
    let p = this.creds.get(registry);
    if (p === undefined) {
      p = this.deps.credentials(registry).then(
        (c) => {
          if (c !== undefined) {
            if ('password' in c) {
              this.deps.redactor.add(c.password, Buffer.from(`${c.username}:${c.password}`).toString('base64'));
            } else {
              this.deps.redactor.add(c.identityToken);
            }
          }
          return c;
        },
        (e: unknown) => {
          this.deps.log('warn', `could not look up credentials for ${registry}: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        },
      );
      this.creds.set(registry, p);
    }
    return p;
  }

  /** Answers a challenge; returns the Authorization header to retry with. Single-flight per scope. */
  async authenticate(registry: string, baseUrl: string, scope: string, wwwAuthenticate: string | undefined, signal?: AbortSignal): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const key = `${registry}|${scope}`;
    if (bearer !== undefined) {
      let p = this.pending.get(key);
      if (p === undefined) {
        p = this.fetchToken(registry, baseUrl, scope, bearer, signal).finally(() => this.pending.delete(key));
        this.pending.set(key, p);
      }
      return p;
    }
    if (basic !== undefined) {
      const cred = await this.credential(registry);
      if (cred === undefined || !('password' in cred)) {
        throw new RegistryError('UNAUTHORIZED', `${registry} requires a login (Basic auth) and no credentials were found for it`, { status: 401 });
      }
      const header = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      this.basic.set(registry, header);
      return header;
    }
    throw new RegistryError('UNAUTHORIZED', `${registry} refused access without a usable authentication challenge`, { status: 401 });
  }

  private async fetchToken(registry: string, baseUrl: string, scope: string, challenge: Challenge, signal?: AbortSignal): Promise<string> {
    const realm = challenge.params['realm'];
    if (realm === undefined) throw new RegistryError('BAD_RESPONSE', `${registry}: Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError('BAD_RESPONSE', `${registry}: Bearer realm is not a URL`);
    }
    const service = challenge.params['service'];
    const tokenScope = challenge.params['scope'] ?? scope;
    const cred = await this.credential(registry);
    // Never send a password over plain http to a token server of an https registry.
    if (cred !== undefined && realmUrl.protocol === 'http:' && baseUrl.startsWith('https:')) {
      throw new RegistryError('INSECURE', `${registry}: token server ${realmUrl.host} is plain http; not sending credentials to it`);
    }
    const what = `token for ${registry} (${tokenScope})`;
    let res;
    if (cred !== undefined && !('password' in cred)) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: this.deps.clientId });
      if (service !== undefined) form.set('service', service);
      form.set('scope', tokenScope);
      res = await this.deps.http.send({
        method: 'POST',
        url: realmUrl.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        maxBytes: TOKEN_RESPONSE_BYTES,
        what,
        ...(signal !== undefined ? { signal } : {}),
      });
    } else {
      const url = new URL(realmUrl);
      if (service !== undefined) url.searchParams.set('service', service);
      url.searchParams.append('scope', tokenScope);
      const headers: Record<string, string> = {};
      if (cred !== undefined) {
        url.searchParams.set('account', cred.username);
        headers['authorization'] = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      }
      res = await this.deps.http.send({ method: 'GET', url: url.toString(), headers, maxBytes: TOKEN_RESPONSE_BYTES, what, ...(signal !== undefined ? { signal } : {}) });
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError('UNAUTHORIZED', `token server ${realmUrl.host} refused ${cred === undefined ? 'anonymous access' : 'the stored credentials'} for ${registry} (HTTP ${res.status})`, {
        status: res.status,
      });
    }
    if (res.status < 200 || res.status >= 300) {
      throw new RegistryError('REGISTRY_ERROR', `token server ${realmUrl.host} answered HTTP ${res.status} for ${registry}`, { status: res.status });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new RegistryError('BAD_RESPONSE', `token server ${realmUrl.host} did not answer JSON`);
    }
    const token = typeof body['token'] === 'string' ? body['token'] : typeof body['access_token'] === 'string' ? body['access_token'] : undefined;
    if (token === undefined || token === '') throw new RegistryError('BAD_RESPONSE', `token server ${realmUrl.host} answered without a token`);
    this.deps.redactor.add(token, typeof body['refresh_token'] === 'string' ? body['refresh_token'] : undefined);
    // The spec's default lifetime is 60 s. Count from whichever is earlier, issue or receipt,
    // so a token server whose clock runs ahead cannot stretch the lifetime.
    const expiresIn = typeof body['expires_in'] === 'number' && body['expires_in'] > 0 ? body['expires_in'] : 60;
    const issued = typeof body['issued_at'] === 'string' ? Date.parse(body['issued_at']) : NaN;
    const base = Number.isNaN(issued) ? this.deps.now() : Math.min(issued, this.deps.now());
    const header = `Bearer ${token}`;
    this.tokens.set(`${registry}|${scope}`, { header, expiresAt: base + expiresIn * 1000 - Math.min(EXPIRY_SKEW_MS, expiresIn * 500) });
    this.deps.log('debug', `got a token for ${registry} (${tokenScope}), valid ${expiresIn} s`);
    return header;
  }
}
