// A minimal Docker registry token server (the `auth.token` protocol): RS256 JWTs whose `x5c`
// header carries a self-signed certificate that the registry trusts via `rootcertbundle`.
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  method: string;
  url: string;
  authorization?: string;
  body?: string;
}

export interface TokenServer {
  /** The realm to put in the registry config. */
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** A token for the test itself (seeding), bypassing the HTTP endpoint. */
  mint(access: Access[], subject?: string): string;
  /** Every request the endpoint answered. */
  requests: TokenRequestRecord[];
  /** Every token handed out over HTTP, to check none leaks. */
  issued: string[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  dir: string;
  /** username -> password, accepted as Basic on GET. */
  users: Record<string, string>;
  /** refresh token -> username, accepted by the OAuth2 POST grant. */
  refreshTokens: Record<string, string>;
  /** Repositories under these prefixes may be pulled anonymously. */
  publicPrefixes: string[];
  expiresIn: number;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Key and self-signed certificate via the openssl CLI; the certificate's DER goes into `x5c`. */
function signingMaterial(dir: string): { key: KeyObject; certDer: string; certFile: string } {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=plimsoll-test-token-issuer'], {
    stdio: 'ignore',
  });
  const pem = readFileSync(certFile, 'utf8');
  const certDer = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { key: createPrivateKey(readFileSync(keyFile)), certDer, certFile };
}

function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTokenServer(options: TokenServerOptions, port: number): Promise<TokenServer> {
  const { key, certDer, certFile } = signingMaterial(options.dir);
  const service = 'plimsoll-test-registry';
  const issuer = 'plimsoll-test-issuer';
  const requests: TokenRequestRecord[] = [];
  const issued: string[] = [];

  const mint = (access: Access[], subject = ''): string => {
    const nowS = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: nowS + 600, nbf: nowS - 10, iat: nowS, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('RSA-SHA256', Buffer.from(input), key))}`;
  };

  const grant = (user: string | undefined, scopes: string[]): Access[] =>
    scopes
      .map(parseScope)
      .filter((a): a is Access => a !== undefined && a.type === 'repository')
      .map((a) => {
        const allowed = user !== undefined ? a.actions.filter((x) => x === 'pull' || x === 'push') : options.publicPrefixes.some((p) => a.name.startsWith(p)) ? a.actions.filter((x) => x === 'pull') : [];
        return { ...a, actions: allowed };
      });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token.local');
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const record: TokenRequestRecord = { method: req.method ?? '', url: req.url ?? '' };
      if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
      if (body !== undefined) record.body = body;
      requests.push(record);
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      let user: string | undefined;
      let scopes: string[];
      if (req.method === 'POST') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'refresh_token') return send(400, { error: 'unsupported_grant_type' });
        user = options.refreshTokens[form.get('refresh_token') ?? ''];
        if (user === undefined) return send(401, { error: 'invalid_grant' });
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      } else {
        const authz = req.headers.authorization;
        if (authz !== undefined) {
          const decoded = Buffer.from(authz.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          const name = decoded.slice(0, colon);
          if (colon < 0 || options.users[name] !== decoded.slice(colon + 1)) return send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
          user = name;
        }
        scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
      }
      const token = mint(grant(user, scopes), user ?? '');
      issued.push(token);
      // Docker's token servers send both names; clients must accept either.
      send(200, { token, access_token: token, expires_in: options.expiresIn, issued_at: new Date().toISOString() });
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    mint,
    requests,
    issued,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
