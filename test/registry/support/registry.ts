// A real CNCF Distribution registry (Debian's `docker-registry`) on 127.0.0.1 for integration tests,
// plus seeding over the registry's own HTTP API. Reusable by any suite that needs real images:
//
//   const reg = await startRegistry({ auth: 'none' });
//   const seeded = await seed(reg);          // digests of everything pushed
//   ...
//   await reg.stop();
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntil } from './net.ts';
import { startTokenServer, type TokenServer } from './tokenServer.ts';

export const REGISTRY_BIN = process.env['PLIMSOLL_REGISTRY_BIN'] ?? '/usr/bin/docker-registry';

function onPath(tool: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

/** A reason to skip registry suites (for this auth mode), or false when every tool is there. */
export function registrySkipReason(auth: AuthMode = 'none'): string | false {
  if (!existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} not found: install Debian's docker-registry package (apt-get install docker-registry) to run registry tests`;
  if (auth === 'htpasswd' && !onPath('htpasswd')) return 'htpasswd not found: install apache2-utils to run htpasswd registry tests';
  if (auth === 'token' && !onPath('openssl')) return 'openssl not found: install openssl to run token-auth registry tests';
  return false;
}

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

export type AuthMode = 'none' | 'htpasswd' | 'token';

export interface StartOptions {
  auth?: AuthMode;
  /** username -> password; default `{ alice: 'plimsoll-S3cret-pw' }`. */
  users?: Record<string, string>;
  /** Token mode: refresh token (identity token) -> username. */
  refreshTokens?: Record<string, string>;
  /** Token mode: repositories under these prefixes are anonymously pullable. Default `['acme/']`. */
  publicPrefixes?: string[];
  /** Token mode: `expires_in` the token server reports. Default 300. */
  tokenExpiresIn?: number;
}

export interface RunningRegistry {
  auth: AuthMode;
  port: number;
  /** `127.0.0.1:PORT`, usable as the registry part of a reference. */
  host: string;
  url: string;
  dir: string;
  users: Record<string, string>;
  token?: TokenServer;
  /** An Authorization header allowed to push to `repository` (undefined without auth). */
  pushAuthorization(repository: string): string | undefined;
  stop(): Promise<void>;
}

function configYaml(dir: string, port: number, auth: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: plimsoll-test-http-secret',
    auth,
    '',
  ].join('\n');
}

export async function startRegistry(options: StartOptions = {}): Promise<RunningRegistry> {
  const mode = options.auth ?? 'none';
  const users = options.users ?? { alice: 'plimsoll-S3cret-pw' };
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-registry-'));
  const port = await freePort();
  let token: TokenServer | undefined;
  let authYaml = '';
  if (mode === 'htpasswd') {
    const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    authYaml = ['auth:', '  htpasswd:', '    realm: plimsoll-test', `    path: ${join(dir, 'htpasswd')}`].join('\n');
  } else if (mode === 'token') {
    token = await startTokenServer(
      {
        dir,
        users,
        refreshTokens: options.refreshTokens ?? {},
        publicPrefixes: options.publicPrefixes ?? ['acme/'],
        expiresIn: options.tokenExpiresIn ?? 300,
      },
      await freePort(),
    );
    authYaml = [
      'auth:',
      '  token:',
      `    realm: ${token.realm}`,
      `    service: ${token.service}`,
      `    issuer: ${token.issuer}`,
      `    rootcertbundle: ${token.certFile}`,
    ].join('\n');
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, configYaml(dir, port, authYaml));

  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  // A test process that dies without teardown must not leave a registry behind.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 3000).unref())]);
      if (!exited) child.kill('SIGKILL');
    }
    await token?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      `registry on ${url}`,
      async () => {
        if (exited) throw new Error(`docker-registry exited: ${stderr}`);
        const res = await fetch(`${url}/v2/`);
        await res.arrayBuffer();
        return res.status === 200 || res.status === 401 ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const first = Object.entries(users)[0];
  const basic = first !== undefined ? `Basic ${Buffer.from(`${first[0]}:${first[1]}`).toString('base64')}` : undefined;
  const running: RunningRegistry = {
    auth: mode,
    port,
    host: `127.0.0.1:${port}`,
    url,
    dir,
    users,
    pushAuthorization(repository) {
      if (mode === 'htpasswd') return basic;
      if (mode === 'token' && token !== undefined) return `Bearer ${token.mint([{ type: 'repository', name: repository, actions: ['pull', 'push'] }], 'seeder')}`;
      return undefined;
    },
    stop,
  };
  if (token !== undefined) running.token = token;
  return running;
}

// ---- content ------------------------------------------------------------------------------

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed), fast even for 30 MiB. */
export function deterministicBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface Pushed {
  digest: string;
  size: number;
  mediaType: string;
}

function headers(reg: RunningRegistry, repository: string, extra: Record<string, string> = {}): Record<string, string> {
  const auth = reg.pushAuthorization(repository);
  return auth !== undefined ? { ...extra, authorization: auth } : extra;
}

/** Monolithic upload: POST /blobs/uploads/, then PUT the bytes to the Location with `digest=`. */
export async function pushBlob(reg: RunningRegistry, repository: string, bytes: Buffer, mediaType: string = MT.ociLayer): Promise<Pushed> {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: headers(reg, repository) });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || location === null) throw new Error(`upload start for ${repository}: HTTP ${start.status}`);
  const target = new URL(location, reg.url);
  target.searchParams.set('digest', digest);
  const put = await fetch(target, {
    method: 'PUT',
    headers: headers(reg, repository, { 'content-type': 'application/octet-stream' }),
    body: bytes,
  });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`blob upload to ${repository}: HTTP ${put.status} ${text}`);
  return { digest, size: bytes.length, mediaType };
}

export async function pushManifest(reg: RunningRegistry, repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<Pushed> {
  const res = await fetch(`${reg.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(reg, repository, { 'content-type': mediaType }),
    body: bytes,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest ${repository}:${reference}: HTTP ${res.status} ${text}`);
  const digest = sha256(bytes);
  const said = res.headers.get('docker-content-digest');
  if (said !== digest) throw new Error(`registry says ${said} for a manifest we hashed to ${digest}`);
  return { digest, size: bytes.length, mediaType };
}

export interface ImageSpec {
  format: 'docker' | 'oci';
  layers: Buffer[];
  config: Record<string, unknown>;
  annotations?: Record<string, string>;
}

export interface PushedImage extends Pushed {
  config: Pushed;
  layers: Pushed[];
  /** The exact manifest bytes pushed. */
  bytes: Buffer;
}

/** Pushes layers, config and manifest; tags it with each of `tags` (the first by PUT, others too). */
export async function pushImage(reg: RunningRegistry, repository: string, tags: string[], spec: ImageSpec): Promise<PushedImage> {
  const docker = spec.format === 'docker';
  const layers = await Promise.all(spec.layers.map((l) => pushBlob(reg, repository, l, docker ? MT.dockerLayer : MT.ociLayer)));
  const config = await pushBlob(reg, repository, Buffer.from(JSON.stringify(spec.config)), docker ? MT.dockerConfig : MT.ociConfig);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: docker ? MT.dockerManifest : MT.ociManifest,
    config,
    layers,
  };
  if (spec.annotations !== undefined) manifest['annotations'] = spec.annotations;
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  let pushed: Pushed | undefined;
  for (const tag of tags.length > 0 ? tags : [sha256(bytes)]) pushed = await pushManifest(reg, repository, tag, docker ? MT.dockerManifest : MT.ociManifest, bytes);
  if (pushed === undefined) throw new Error('unreachable');
  return { ...pushed, config, layers, bytes };
}

export interface ConfigSpec {
  architecture?: string;
  variant?: string;
  env?: string[];
  labels?: Record<string, string>;
  user?: string;
  /** Build steps; `empty` ones have no layer. Non-empty steps must match the layer count. */
  steps?: { createdBy: string; empty?: boolean; buildkit?: boolean }[];
  diffIds: string[];
}

/** A realistic image config: BuildKit-style history with empty_layer entries, labels and Env. */
export function imageConfig(spec: ConfigSpec): Record<string, unknown> {
  const created = '2024-02-14T10:20:30Z';
  const config: Record<string, unknown> = {
    architecture: spec.architecture ?? 'amd64',
    os: 'linux',
    created,
    config: {
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Labels: spec.labels ?? {},
      ...(spec.user !== undefined ? { User: spec.user } : {}),
      Cmd: ['node'],
    },
    rootfs: { type: 'layers', diff_ids: spec.diffIds },
    history: (spec.steps ?? []).map((s) => ({
      created,
      created_by: s.createdBy,
      ...(s.buildkit === true ? { comment: 'buildkit.dockerfile.v0' } : {}),
      ...(s.empty === true ? { empty_layer: true } : {}),
    })),
  };
  if (spec.variant !== undefined) config['variant'] = spec.variant;
  return config;
}

// ---- the standard seed --------------------------------------------------------------------

export interface SeedResult {
  /** `acme/app:1.0`: Docker schema2, three layers, labels, Env, BuildKit history. */
  app: PushedImage & { repository: string; tag: string; labels: Record<string, string> };
  /** `acme/multi:1.0`: OCI index, linux/amd64 + linux/arm64, a BuildKit attestation for each. */
  multi: {
    repository: string;
    tag: string;
    digest: string;
    bytes: Buffer;
    amd64: PushedImage;
    arm64: PushedImage;
    attestations: { digest: string; subject: string; predicateTypes: string[] }[];
  };
  /** `acme/list:1.0`: Docker manifest list, linux/amd64 + linux/arm/v7. */
  list: { repository: string; tag: string; digest: string; bytes: Buffer; amd64: PushedImage; armv7: PushedImage };
  /** `acme/node`: semver-ish tags, each its own image. */
  node: { repository: string; tags: Record<string, string> };
  /** `acme/many`: more tags than one page holds at `?n=10`. */
  many: { repository: string; tags: string[]; digest: string };
  /** `acme/big:1.0`: a 30 MiB layer (only with `{ big: true }`). */
  big?: PushedImage & { repository: string; tag: string };
}

const SLSA = 'https://slsa.dev/provenance/v0.2';
const SPDX = 'https://spdx.dev/Document';

function layersFor(seed: string, sizes: number[]): Buffer[] {
  return sizes.map((s, i) => deterministicBytes(`${seed}/${i}`, s));
}

function diffIds(layers: Buffer[]): string[] {
  // Layers here are opaque bytes, not tarballs; diff IDs only need to be well-formed.
  return layers.map((l) => sha256(Buffer.concat([Buffer.from('diff:'), l])));
}

async function pushAttestation(reg: RunningRegistry, repository: string, subject: PushedImage): Promise<{ descriptor: Record<string, unknown>; digest: string; predicateTypes: string[] }> {
  const statements = [SLSA, SPDX].map((predicateType) =>
    Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType, subject: [{ name: repository, digest: { sha256: subject.digest.slice(7) } }], predicate: {} })),
  );
  const layers = await Promise.all(statements.map((s) => pushBlob(reg, repository, s, MT.inToto)));
  const config = await pushBlob(reg, repository, Buffer.from('{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'), MT.ociConfig);
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config,
    layers: layers.map((l, i) => ({ ...l, annotations: { 'in-toto.io/predicate-type': i === 0 ? SLSA : SPDX } })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const pushed = await pushManifest(reg, repository, sha256(bytes), MT.ociManifest, bytes);
  return {
    digest: pushed.digest,
    predicateTypes: [SLSA, SPDX],
    descriptor: {
      mediaType: MT.ociManifest,
      digest: pushed.digest,
      size: pushed.size,
      annotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  };
}

function platformImage(seed: string, architecture: string, format: 'docker' | 'oci', variant?: string): ImageSpec {
  const layers = layersFor(seed, [2048, 4096]);
  return {
    format,
    layers,
    config: imageConfig({
      architecture,
      ...(variant !== undefined ? { variant } : {}),
      diffIds: diffIds(layers),
      steps: [{ createdBy: `/bin/sh -c #(nop) ADD file:${seed} in / ` }, { createdBy: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty: true }, { createdBy: 'RUN /bin/sh -c make # buildkit', buildkit: true }],
    }),
  };
}

export async function seed(reg: RunningRegistry, options: { big?: boolean; manyTags?: number } = {}): Promise<SeedResult> {
  // acme/app: a realistic single-platform image.
  const appLabels = {
    'org.opencontainers.image.source': 'https://github.com/acme/app',
    'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
    'org.opencontainers.image.version': '1.0.0',
    'org.opencontainers.image.base.name': 'docker.io/library/node:20.11.1-alpine',
  };
  const appLayers = layersFor('acme/app', [1200, 34_567, 5000]);
  const app = await pushImage(reg, 'acme/app', ['1.0', 'latest'], {
    format: 'docker',
    layers: appLayers,
    config: imageConfig({
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_VERSION=20.11.1', 'NODE_ENV=production'],
      labels: appLabels,
      user: 'node',
      diffIds: diffIds(appLayers),
      steps: [
        { createdBy: '/bin/sh -c #(nop) ADD file:4c5b3c2a1 in / ' },
        { createdBy: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty: true },
        { createdBy: 'ENV NODE_VERSION=20.11.1', empty: true, buildkit: true },
        { createdBy: 'RUN /bin/sh -c apk add --no-cache curl # buildkit', buildkit: true },
        { createdBy: 'LABEL org.opencontainers.image.source=https://github.com/acme/app', empty: true, buildkit: true },
        { createdBy: 'COPY . /app # buildkit', buildkit: true },
        { createdBy: 'USER node', empty: true, buildkit: true },
      ],
    }),
  });

  // acme/multi: OCI index with attestations, children first.
  const amd64 = await pushImage(reg, 'acme/multi', [], platformImage('multi/amd64', 'amd64', 'oci'));
  const arm64 = await pushImage(reg, 'acme/multi', [], platformImage('multi/arm64', 'arm64', 'oci', 'v8'));
  const attAmd = await pushAttestation(reg, 'acme/multi', amd64);
  const attArm = await pushAttestation(reg, 'acme/multi', arm64);
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      { mediaType: MT.ociManifest, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: MT.ociManifest, digest: arm64.digest, size: arm64.size, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      attAmd.descriptor,
      attArm.descriptor,
    ],
  };
  const indexBytes = Buffer.from(JSON.stringify(index, null, 2));
  const multi = await pushManifest(reg, 'acme/multi', '1.0', MT.ociIndex, indexBytes);

  // acme/list: Docker manifest list.
  const listAmd = await pushImage(reg, 'acme/list', [], platformImage('list/amd64', 'amd64', 'docker'));
  const listArm = await pushImage(reg, 'acme/list', [], platformImage('list/armv7', 'arm', 'docker', 'v7'));
  const listDoc = {
    schemaVersion: 2,
    mediaType: MT.dockerList,
    manifests: [
      { mediaType: MT.dockerManifest, digest: listAmd.digest, size: listAmd.size, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: MT.dockerManifest, digest: listArm.digest, size: listArm.size, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
    ],
  };
  const listBytes = Buffer.from(JSON.stringify(listDoc));
  const list = await pushManifest(reg, 'acme/list', '1.0', MT.dockerList, listBytes);

  // acme/node: several versions.
  const nodeTags: Record<string, string> = {};
  for (const version of ['20.11.0', '20.11.1', '20.12.0-alpine', '21.0.0']) {
    const layers = layersFor(`acme/node/${version}`, [3000]);
    const img = await pushImage(reg, 'acme/node', [version], {
      format: 'oci',
      layers,
      config: imageConfig({ env: [`NODE_VERSION=${version.split('-')[0] ?? version}`], diffIds: diffIds(layers), steps: [{ createdBy: `ADD node-${version}.tar.gz / # buildkit`, buildkit: true }] }),
      annotations: { 'org.opencontainers.image.version': version },
    });
    nodeTags[version] = img.digest;
  }

  // acme/many: one image under many tags.
  const count = options.manyTags ?? 25;
  const manyTags = Array.from({ length: count }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const manyLayers = layersFor('acme/many', [100]);
  const many = await pushImage(reg, 'acme/many', manyTags, { format: 'oci', layers: manyLayers, config: imageConfig({ diffIds: diffIds(manyLayers) }) });

  const result: SeedResult = {
    app: { ...app, repository: 'acme/app', tag: '1.0', labels: appLabels },
    multi: {
      repository: 'acme/multi',
      tag: '1.0',
      digest: multi.digest,
      bytes: indexBytes,
      amd64,
      arm64,
      attestations: [
        { digest: attAmd.digest, subject: amd64.digest, predicateTypes: attAmd.predicateTypes },
        { digest: attArm.digest, subject: arm64.digest, predicateTypes: attArm.predicateTypes },
      ],
    },
    list: { repository: 'acme/list', tag: '1.0', digest: list.digest, bytes: listBytes, amd64: listAmd, armv7: listArm },
    node: { repository: 'acme/node', tags: nodeTags },
    many: { repository: 'acme/many', tags: manyTags, digest: many.digest },
  };
  if (options.big === true) {
    const bigLayers = [deterministicBytes('acme/big/30MiB', 30 * 1024 * 1024), deterministicBytes('acme/big/small', 512)];
    const big = await pushImage(reg, 'acme/big', ['1.0'], { format: 'oci', layers: bigLayers, config: imageConfig({ diffIds: diffIds(bigLayers), steps: [{ createdBy: 'COPY big.bin / # buildkit' }, { createdBy: 'COPY small / # buildkit' }] }) });
    result.big = { ...big, repository: 'acme/big', tag: '1.0' };
  }
  return result;
}
