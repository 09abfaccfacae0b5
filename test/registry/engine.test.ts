// The local Docker Engine source, against a small fake engine: node:http on a unix socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineSource, defaultEngineSocket } from '../../server/src/registry/engine.ts';
import { parseReference } from '../../server/src/registry/reference.ts';
import { createRegistryClient } from '../../server/src/registry/index.ts';
import { freePort } from './support/net.ts';

const IMAGE_ID = `sha256:${'c'.repeat(64)}`;
const REPO_DIGEST = `sha256:${'d'.repeat(64)}`;

const inspect = {
  Id: IMAGE_ID,
  RepoTags: ['myapp:dev'],
  RepoDigests: [`other/thing@sha256:${'e'.repeat(64)}`, `myapp@${REPO_DIGEST}`],
  Created: '2024-03-01T12:00:00.000000000Z',
  Architecture: 'arm64',
  Variant: 'v8',
  Os: 'linux',
  Size: 7340,
  Config: { Env: ['PATH=/usr/bin', 'APP_ENV=dev'], Labels: { 'org.opencontainers.image.source': 'https://github.com/acme/myapp' }, User: '1000' },
  RootFS: { Type: 'layers', Layers: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
};

// Newest first, as the engine answers.
const history = [
  { Id: IMAGE_ID, Created: 1709294400, CreatedBy: 'CMD ["node","server.js"]', Size: 0, Comment: 'buildkit.dockerfile.v0' },
  { Id: '<missing>', Created: 1709294300, CreatedBy: 'COPY . /app # buildkit', Size: 2340, Comment: 'buildkit.dockerfile.v0' },
  { Id: '<missing>', Created: 1709294200, CreatedBy: '/bin/sh -c #(nop)  ENV PATH=/usr/bin', Size: 0, Comment: '' },
  { Id: '<missing>', Created: 1709294100, CreatedBy: '/bin/sh -c #(nop) ADD file:abc in / ', Size: 5000, Comment: '' },
];

let dir: string;
let socketPath: string;
let server: Server;
const requests: string[] = [];

describe('Docker Engine source', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plimsoll-engine-'));
    socketPath = join(dir, 'docker.sock');
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.url === '/_ping') return send(200, 'OK');
      if (req.url === '/images/docker.io/library/myapp:dev/json') return send(200, inspect);
      if (req.url === '/images/docker.io/library/myapp:dev/history') return send(200, history);
      return send(404, { message: `No such image: ${req.url ?? ''}` });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('no engine: skipped cleanly, no error', async () => {
    for (const path of [join(dir, 'absent.sock'), join(dir, 'plain-file')]) {
      writeFileSync(join(dir, 'plain-file'), '');
      const engine = createEngineSource({ socketPath: path });
      assert.equal(await engine.available(), false);
      assert.equal(await engine.getImageFacts(parseReference('myapp:dev')), undefined);
      await engine.close();
    }
    assert.equal(defaultEngineSocket({}), '/var/run/docker.sock');
    assert.equal(defaultEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), '/run/user/1000/docker.sock');
    assert.equal(defaultEngineSocket({ DOCKER_HOST: 'tcp://10.0.0.1:2375' }), undefined);
  });

  test('a local image maps to the same facts a registry gives', async () => {
    const engine = createEngineSource({ socketPath, now: () => Date.parse('2024-05-01T00:00:00Z') });
    try {
      assert.equal(await engine.available(), true);
      const f = await engine.getImageFacts(parseReference('myapp:dev'));
      assert.ok(f !== undefined);
      assert.equal(f.source, 'engine');
      assert.equal(f.reference, 'docker.io/library/myapp:dev');
      assert.equal(f.imageId, IMAGE_ID);
      assert.equal(f.digest, REPO_DIGEST);
      assert.equal(f.fetchedAt, '2024-05-01T00:00:00.000Z');
      const m = f.manifests[0]!;
      assert.deepEqual(m.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
      assert.equal(m.sizeKind, 'uncompressed');
      assert.deepEqual(m.layers.map((l) => [l.digest, l.size]), [[inspect.RootFS.Layers[0], 5000], [inspect.RootFS.Layers[1], 2340]]);
      assert.equal(m.totalSize, 7340);
      assert.deepEqual(m.config?.labels, inspect.Config.Labels);
      assert.deepEqual(m.config?.env, inspect.Config.Env);
      assert.equal(m.config?.user, '1000');
      assert.deepEqual(m.config?.history.map((h) => [h.createdBy, h.emptyLayer]), [
        ['/bin/sh -c #(nop) ADD file:abc in / ', false],
        ['/bin/sh -c #(nop)  ENV PATH=/usr/bin', true],
        ['COPY . /app # buildkit', false],
        ['CMD ["node","server.js"]', true],
      ]);
      assert.equal(m.config?.history[0]?.created, '2024-03-01T11:55:00.000Z');
      assert.equal(await engine.getImageFacts(parseReference('myapp:other')), undefined);
    } finally {
      await engine.close();
    }
  });

  test('the client falls back to the engine when the registry cannot answer', async () => {
    const closed = await freePort();
    const client = createRegistryClient({
      cacheDir: false,
      dockerConfig: false,
      retries: 0,
      endpoints: { 'docker.io': `http://127.0.0.1:${closed}` },
      engine: { socketPath },
    });
    try {
      const local = await client.getImageFacts('myapp:dev');
      assert.equal(local.source, 'engine');
      assert.equal(local.error, undefined);
      const missing = await client.getImageFacts('myapp:gone');
      assert.equal(missing.source, undefined);
      assert.equal(missing.error?.code, 'NETWORK');
    } finally {
      await client.close();
    }
  });
});
