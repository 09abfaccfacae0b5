// The local Docker Engine as a source of facts for images that were built (or pulled) locally and
// may exist in no registry. Spoken to over its unix socket; absent engines are skipped quietly.
import { stat } from 'node:fs/promises';
import type { Agent } from 'undici';
import { undici } from './undici.ts';
import { formatReference, parseReference, repositoryName, type ImageReference } from './reference.ts';
import { RegistryError, silentLogger, type Logger } from './errors.ts';
import type { Env } from './dockerConfig.ts';
import type { HistoryEntry, ImageFacts, LayerFact } from '../core/facts.ts';

export interface EngineOptions {
  /** Default: `unix://` path of `$DOCKER_HOST`, else `/var/run/docker.sock`. */
  socketPath?: string;
  timeoutMs?: number;
  maxBytes?: number;
  log?: Logger;
  now?: () => number;
}

export interface EngineSource {
  readonly socketPath: string;
  /** Whether an engine answers `/_ping` on the socket; checked once. */
  available(): Promise<boolean>;
  /** Facts for a locally present image; undefined when the engine does not have it. */
  getImageFacts(ref: ImageReference): Promise<ImageFacts | undefined>;
  close(): Promise<void>;
}

/** Only unix sockets are supported; a `tcp://` DOCKER_HOST means no engine source. */
export function defaultEngineSocket(env: Env = process.env): string | undefined {
  const host = env['DOCKER_HOST'];
  if (host === undefined || host === '') return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

const DIFF_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Maps `GET /images/{name}/json` and `/history` answers to the facts a registry would give. */
export function engineFacts(ref: ImageReference, inspect: Json, history: unknown[], fetchedAt: string): ImageFacts {
  const id = typeof inspect['Id'] === 'string' ? inspect['Id'] : '';
  const config = obj(inspect['Config']);
  // History comes newest first; image configs list it oldest first.
  const entries = history.map(obj).reverse();
  const historyFacts: HistoryEntry[] = entries.map((h) => {
    // The engine has no `empty_layer` flag; size 0 is how `docker history` tells them apart.
    const e: HistoryEntry = { emptyLayer: h['Size'] === 0 };
    if (typeof h['Created'] === 'number') e.created = new Date(h['Created'] * 1000).toISOString();
    if (typeof h['CreatedBy'] === 'string') e.createdBy = h['CreatedBy'];
    if (typeof h['Comment'] === 'string' && h['Comment'] !== '') e.comment = h['Comment'];
    return e;
  });
  const diffIds = Array.isArray(obj(inspect['RootFS'])['Layers']) ? (obj(inspect['RootFS'])['Layers'] as unknown[]).filter((l): l is string => typeof l === 'string') : [];
  const sized = entries.filter((h) => typeof h['Size'] === 'number' && h['Size'] > 0);
  // Sizes line up with layers only when the counts agree; otherwise they are unknown (0).
  const layers: LayerFact[] = diffIds.map((digest, i) => ({
    digest,
    size: sized.length === diffIds.length ? Number(sized[i]?.['Size'] ?? 0) : 0,
    mediaType: DIFF_MEDIA_TYPE,
  }));
  const total = typeof inspect['Size'] === 'number' ? inspect['Size'] : layers.reduce((n, l) => n + l.size, 0);
  const repoDigest = (Array.isArray(inspect['RepoDigests']) ? inspect['RepoDigests'] : [])
    .filter((d): d is string => typeof d === 'string')
    .map((d) => {
      try {
        return parseReference(d);
      } catch {
        return undefined;
      }
    })
    .find((r) => r !== undefined && repositoryName(r) === repositoryName(ref))?.digest;

  const configFact: ImageFacts['manifests'][number]['config'] = {
    digest: id,
    labels: stringRecord(config['Labels']),
    env: Array.isArray(config['Env']) ? config['Env'].filter((e): e is string => typeof e === 'string') : [],
    history: historyFacts,
  };
  if (typeof inspect['Created'] === 'string') configFact.created = inspect['Created'];
  if (typeof config['User'] === 'string') configFact.user = config['User'];
  const manifest: ImageFacts['manifests'][number] = {
    digest: repoDigest ?? id,
    mediaType: 'application/vnd.docker.container.image.v1+json',
    layers,
    config: configFact,
    totalSize: total,
    sizeKind: 'uncompressed',
  };
  if (typeof inspect['Os'] === 'string' && typeof inspect['Architecture'] === 'string') {
    manifest.platform = { os: inspect['Os'], architecture: inspect['Architecture'] };
    if (typeof inspect['Variant'] === 'string' && inspect['Variant'] !== '') manifest.platform.variant = inspect['Variant'];
  }
  const facts: ImageFacts = {
    reference: formatReference(ref),
    manifests: [manifest],
    attestations: [],
    fetchedAt,
    fromCache: false,
    source: 'engine',
    imageId: id,
  };
  if (repoDigest !== undefined) facts.digest = repoDigest;
  return facts;
}

export function createEngineSource(options: EngineOptions = {}): EngineSource {
  const socketPath = options.socketPath ?? defaultEngineSocket() ?? '/var/run/docker.sock';
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  let agent: Agent | undefined;
  let availability: Promise<boolean> | undefined;

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const { Agent, request } = await undici();
    agent ??= new Agent({ connect: { socketPath } });
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // The host part is ignored on a unix socket.
      const res = await request(`http://docker${path}`, { method: 'GET', signal, dispatcher: agent });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new RegistryError('TOO_LARGE', `Docker Engine ${path}: answer over ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // `/_ping` answers plain `OK`.
      }
      return { status: res.statusCode, body };
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      if (signal.aborted) throw new RegistryError('TIMEOUT', `Docker Engine at ${socketPath}: no answer within ${timeoutMs} ms`, { cause: e });
      throw new RegistryError('NETWORK', `Docker Engine at ${socketPath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };

  return {
    socketPath,
    available() {
      availability ??= (async () => {
        try {
          const s = await stat(socketPath);
          if (!s.isSocket()) return false;
          const res = await get('/_ping');
          return res.status === 200;
        } catch (e) {
          log('debug', `no Docker Engine at ${socketPath}: ${e instanceof Error ? e.message : String(e)}`);
          return false;
        }
      })();
      return availability;
    },
    async getImageFacts(ref) {
      if (!(await this.available())) return undefined;
      const name = formatReference(ref);
      const inspect = await get(`/images/${name}/json`);
      if (inspect.status === 404) return undefined;
      if (inspect.status !== 200) throw new RegistryError('REGISTRY_ERROR', `Docker Engine: inspecting ${name} answered HTTP ${inspect.status}`);
      const history = await get(`/images/${name}/history`);
      const entries = history.status === 200 && Array.isArray(history.body) ? (history.body as unknown[]) : [];
      return engineFacts(ref, obj(inspect.body), entries, new Date(now()).toISOString());
    },
    async close() {
      await agent?.close();
    },
  };
}
