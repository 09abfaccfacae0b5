// Built-image layers against a real CNCF Distribution registry: one image whose history is written as BuildKit
// writes it and one as the classic builder does, for the same Dockerfile; `plimsoll lint --image` (and
// `builds` in the policy) must put PL512 on the instruction that made the big layer, and PL513 on FROM when
// the Dockerfile no longer matches the pushed image.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { deterministicBytes, imageConfig, pushImage, registrySkipReason, sha256, startRegistry, type RunningRegistry } from '../registry/support/registry.ts';
import { workspace as sharedWorkspace } from '../support/workspace.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const skip = registrySkipReason();

let reg: RunningRegistry;
let cacheDir: string;

const DOCKERFILE = (host: string) => `FROM ${host}/acme/prov-base:1.0
ARG MODE=release
ENV APP_HOME=/srv/app
WORKDIR /srv/app
COPY vendor/ ./vendor/
RUN ./build.sh --mode "$MODE" && \\
    rm -rf /tmp/build
COPY . .
USER node
CMD ["node", "server.js"]
`;
const RUN_LINE = 5;
const COPY_VENDOR_LINE = 4;

type Step = { createdBy: string; empty?: boolean; buildkit?: boolean };
const BASE_STEPS: Step[] = [
  { createdBy: '/bin/sh -c #(nop) ADD file:9a8b7c6d5e4f in / ' },
  { createdBy: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty: true },
  { createdBy: 'ENV NODE_VERSION=20.11.1', empty: true, buildkit: true },
  { createdBy: 'RUN /bin/sh -c apk add --no-cache nodejs # buildkit', buildkit: true },
];
const BASE_SIZES = [2_000, 6_000];

/** Layers are opaque bytes here; diff IDs only need to be well-formed and one per layer. */
async function push(repository: string, format: 'docker' | 'oci', steps: Step[], sizes: number[]) {
  const layers = sizes.map((s, i) => deterministicBytes(`${repository}/${i}`, s));
  const diffIds = layers.map((l) => sha256(Buffer.concat([Buffer.from('diff:'), l])));
  return pushImage(reg, repository, ['1.0'], { format, layers, config: imageConfig({ steps, diffIds }) });
}

const workspace = (files: Record<string, string>): string => sharedWorkspace(files, 'plimsoll-prov-');

type Json = { findings: Array<{ ruleId: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } }>; errors: unknown[] };

function lint(cwd: string, ...args: string[]): { code: number | null; json: Json; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'lint', '--format', 'json', '--cache-dir', cacheDir, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: '2026-06-15', DOCKER_CONFIG: join(cacheDir, 'no-docker-config') },
  });
  return { code: r.status, json: JSON.parse(r.stdout || '{"findings":[],"errors":[]}') as Json, err: r.stderr };
}

const ids = (j: Json, id: string) => j.findings.filter((f) => f.ruleId === id);

describe('built image layers from a real registry', { skip }, () => {
  before(async () => {
    // npm test builds first; a run on its own builds when there is no bundle. (The check used to read
    // dist/cli.js for --image, which since the loader split is in cli-main.js: every run rebuilt the bundle
    // while other test files were running it.)
    if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    cacheDir = mkdtempSync(join(tmpdir(), 'plimsoll-prov-cache-'));
    reg = await startRegistry();
    await push('acme/prov-base', 'oci', BASE_STEPS, BASE_SIZES);
    // BuildKit: the RUN made the 64 kB layer.
    await push(
      'acme/prov-buildkit',
      'oci',
      [
        ...BASE_STEPS,
        { createdBy: 'ARG MODE=release', empty: true, buildkit: true },
        { createdBy: 'ENV APP_HOME=/srv/app', empty: true, buildkit: true },
        { createdBy: 'WORKDIR /srv/app', buildkit: true },
        { createdBy: 'COPY vendor/ ./vendor/ # buildkit', buildkit: true },
        { createdBy: 'RUN |1 MODE=release /bin/sh -c ./build.sh --mode "$MODE" &&     rm -rf /tmp/build # buildkit', buildkit: true },
        { createdBy: 'COPY . . # buildkit', buildkit: true },
        { createdBy: 'USER node', empty: true, buildkit: true },
        { createdBy: 'CMD ["node" "server.js"]', empty: true, buildkit: true },
      ],
      [...BASE_SIZES, 100, 9_000, 64_000, 8_000],
    );
    // Classic builder: COPY vendor/ made the 64 kB layer.
    await push(
      'acme/prov-classic',
      'docker',
      [
        ...BASE_STEPS,
        { createdBy: '/bin/sh -c #(nop)  ARG MODE=release', empty: true },
        { createdBy: '/bin/sh -c #(nop)  ENV APP_HOME=/srv/app', empty: true },
        { createdBy: '/bin/sh -c #(nop) WORKDIR /srv/app' },
        { createdBy: '/bin/sh -c #(nop) COPY dir:5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100 in ./vendor/ ' },
        { createdBy: '|1 MODE=release /bin/sh -c ./build.sh --mode "$MODE" &&     rm -rf /tmp/build' },
        { createdBy: '/bin/sh -c #(nop) COPY dir:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff in . ' },
        { createdBy: '/bin/sh -c #(nop)  USER node', empty: true },
        { createdBy: '/bin/sh -c #(nop)  CMD ["node" "server.js"]', empty: true },
      ],
      [...BASE_SIZES, 100, 64_000, 2_000, 8_000],
    );
  });
  after(async () => {
    await reg?.stop();
  });

  test('BuildKit history: --image puts PL512 on the RUN that made the big layer', () => {
    const dir = workspace({ '.plimsoll.yaml': 'sizes:\n  layer: 40kB\n', Dockerfile: DOCKERFILE(reg.host) });
    const r = lint(dir, '--image', `${reg.host}/acme/prov-buildkit:1.0`, '--fail-on', 'never');
    assert.deepEqual(r.json.errors, [], r.err);
    const found = ids(r.json, 'PL512');
    assert.equal(found.length, 1, JSON.stringify(r.json.findings));
    assert.deepEqual(found[0]!.range, { start: { line: RUN_LINE, character: 0 }, end: { line: RUN_LINE + 1, character: 21 } });
    assert.deepEqual(ids(r.json, 'PL513'), []);
  });

  test('classic-builder history: the same Dockerfile, PL512 on COPY vendor/', () => {
    const dir = workspace({ '.plimsoll.yaml': 'sizes:\n  layer: 40kB\n', Dockerfile: DOCKERFILE(reg.host) });
    const r = lint(dir, '--image', `${reg.host}/acme/prov-classic:1.0`, '--fail-on', 'never');
    const found = ids(r.json, 'PL512');
    assert.equal(found.length, 1, JSON.stringify(r.json.findings));
    assert.deepEqual(found[0]!.range, { start: { line: COPY_VENDOR_LINE, character: 0 }, end: { line: COPY_VENDOR_LINE, character: 22 } });
  });

  test('builds in the policy name the image when --image is not given; exit code follows --fail-on', () => {
    const policy = `sizes:\n  layer: 40kB\nbuilds:\n  - dockerfile: services/*/Dockerfile\n    image: ${reg.host}/acme/prov-buildkit:1.0\n`;
    const dir = workspace({ '.plimsoll.yaml': policy });
    mkdirSync(join(dir, 'services', 'api'), { recursive: true });
    writeFileSync(join(dir, 'services', 'api', 'Dockerfile'), DOCKERFILE(reg.host));
    const r = lint(dir, '--fail-on', 'warning');
    assert.equal(r.code, 1);
    assert.deepEqual(ids(r.json, 'PL512').map((f) => f.range.start.line), [RUN_LINE]);
  });

  test('a Dockerfile changed since the push: PL513 on FROM, and no layer is blamed', () => {
    const dir = workspace({ '.plimsoll.yaml': 'sizes:\n  layer: 40kB\n', Dockerfile: DOCKERFILE(reg.host).replace('rm -rf /tmp/build', 'rm -rf /tmp/build /root/.cache') });
    const r = lint(dir, '--image', `${reg.host}/acme/prov-buildkit:1.0`, '--fail-on', 'never');
    assert.deepEqual(ids(r.json, 'PL512'), []);
    assert.deepEqual(ids(r.json, 'PL513').map((f) => f.range), [{ start: { line: 0, character: 0 }, end: { line: 0, character: DOCKERFILE(reg.host).indexOf('\n') } }]);
  });

  test('--image is for one Dockerfile, and must be an image reference', () => {
    const dir = workspace({ Dockerfile: DOCKERFILE(reg.host), 'worker.Dockerfile': DOCKERFILE(reg.host) });
    const many = lint(dir, '--image', `${reg.host}/acme/prov-buildkit:1.0`, '--no-registry');
    assert.equal(many.code, 2);
    const bad = spawnSync(process.execPath, [CLI, 'lint', '--image', 'Not An Image'], { cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--image/);
  });
});
