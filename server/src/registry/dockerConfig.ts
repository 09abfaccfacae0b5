// Credentials as the Docker CLI finds them: `$DOCKER_CONFIG/config.json` (else ~/.docker/config.json),
// then `credHelpers[host]`, then `credsStore`, then `auths[host]`. Helpers are external programs
// (`docker-credential-<name> get`), so callers in untrusted workspaces can switch them off.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from './reference.ts';
import type { Logger } from './errors.ts';

/** A password login, or an identity token (an OAuth2 refresh token for the registry's token server). */
export type Credential = { username: string; password: string } | { username?: string; identityToken: string };

export type Env = Record<string, string | undefined>;

export interface DockerConfigOptions {
  env?: Env;
  /** Explicit config.json path; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  configPath?: string;
  /** Run `docker-credential-*` programs. Off for untrusted workspaces. Default true. */
  allowCredentialHelpers?: boolean;
  helperTimeoutMs?: number;
  log?: Logger;
}

/** Docker Hub's credentials live under this historical key. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const HUB_NAMES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io', DOCKER_HUB_AUTH_KEY]);
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HELPER_OUTPUT_BYTES = 1024 * 1024;

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

export function dockerConfigPath(env: Env): string {
  const dir = env['DOCKER_CONFIG'] ?? join(env['HOME'] ?? homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Config keys are written as hosts or URLs (`https://ghcr.io`, `ghcr.io/v2/`); compare by host. */
export function configKeyHost(key: string): string {
  if (HUB_NAMES.has(key)) return DOCKER_HUB;
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  const lower = host.toLowerCase();
  return HUB_NAMES.has(lower) ? DOCKER_HUB : lower;
}

/** What `docker login` would pass to a helper as the server URL. */
export function helperServerUrl(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function credentialFromAuthEntry(entry: AuthEntry): Credential | undefined {
  const identityToken = str(entry.identitytoken);
  let username = str(entry.username);
  let password = str(entry.password);
  const auth = str(entry.auth);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username ??= decoded.slice(0, colon);
      password ??= decoded.slice(colon + 1) || undefined;
    }
  }
  if (identityToken !== undefined) return username !== undefined ? { username, identityToken } : { identityToken };
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}

function lookup<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (map === undefined || typeof map !== 'object') return undefined;
  if (Object.hasOwn(map, registry)) return map[registry];
  for (const [key, value] of Object.entries(map)) if (configKeyHost(key) === registry) return value;
  return undefined;
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin. Returns undefined when the
 * helper knows no credentials for it; throws when the helper cannot be run or answers garbage.
 */
export function runCredentialHelper(name: string, serverUrl: string, options: { env?: Env; timeoutMs?: number } = {}): Promise<Credential | undefined> {
  if (!HELPER_NAME_RE.test(name)) return Promise.reject(new Error(`credential helper name "${name}" is not a plain program name`));
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 10_000,
    });
    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > HELPER_OUTPUT_BYTES) child.kill();
      else out.push(chunk);
    });
    child.stderr.resume();
    child.on('error', (e) => reject(new Error(`${program}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        // The helper protocol reports a miss as this message on stdout with a non-zero exit.
        if (/credentials not found/i.test(text)) resolve(undefined);
        else reject(new Error(`${program} exited with ${signal ?? code}`));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        reject(new Error(`${program} did not print JSON`));
        return;
      }
      const o = (parsed ?? {}) as Record<string, unknown>;
      const username = str(o['Username']);
      const secret = str(o['Secret']);
      if (secret === undefined) resolve(undefined);
      // `<token>` is the helper protocol's way of saying the secret is an identity token.
      else if (username === undefined || username === '<token>') resolve({ identityToken: secret });
      else resolve({ username, password: secret });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
  });
}

/** A credential source reading the Docker config once and asking helpers per registry. */
export function dockerConfigCredentials(options: DockerConfigOptions = {}): (registry: string) => Promise<Credential | undefined> {
  const env = options.env ?? process.env;
  const path = options.configPath ?? dockerConfigPath(env);
  const log = options.log ?? (() => undefined);
  const allowHelpers = options.allowCredentialHelpers !== false;
  let config: Promise<DockerConfigFile> | undefined;
  const load = (): Promise<DockerConfigFile> =>
    (config ??= readFile(path, 'utf8').then(
      (text) => {
        const parsed: unknown = JSON.parse(text);
        return parsed !== null && typeof parsed === 'object' ? (parsed as DockerConfigFile) : {};
      },
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') log('warn', `cannot read Docker config ${path}: ${e.code ?? e.message}`);
        return {};
      },
    ).catch(() => {
      log('warn', `Docker config ${path} is not valid JSON; ignoring it`);
      return {};
    }));

  return async (registry) => {
    const file = await load();
    const helpers: string[] = [];
    const perHost = str(lookup(file.credHelpers, registry));
    if (perHost !== undefined) helpers.push(perHost);
    const store = str(file.credsStore);
    if (store !== undefined && perHost === undefined) helpers.push(store);
    for (const helper of helpers) {
      if (!allowHelpers) {
        log('info', `not running credential helper "${helper}" for ${registry}: helpers are disabled`);
        break;
      }
      try {
        const cred = await runCredentialHelper(helper, helperServerUrl(registry), {
          env,
          ...(options.helperTimeoutMs !== undefined ? { timeoutMs: options.helperTimeoutMs } : {}),
        });
        if (cred !== undefined) return cred;
      } catch (e) {
        log('warn', `credential helper "${helper}" failed for ${registry}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const entry = lookup(file.auths, registry);
    return entry !== undefined && typeof entry === 'object' ? credentialFromAuthEntry(entry) : undefined;
  };
}
