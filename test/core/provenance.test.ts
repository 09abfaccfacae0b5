// Provenance for hovers and inlay hints: the data (reference, digests, layers, labels, attestations, verdict,
// pin) and the Markdown's structure; per-instruction layers of the built image; base image secrets stay masked.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../server/src/core/model.ts';
import { instructionLayer, layerHints, pinState, provenance, renderProvenanceMarkdown, sizeBar } from '../../server/src/core/provenance.ts';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';
import type { HistoryEntry, ImageFacts, ManifestFact, RegistryFacts } from '../../server/src/core/facts.ts';
import { lint } from '../../server/src/core/lint.ts';
import { formatBytes } from '../../server/src/core/units.ts';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function platformManifest(n: number, architecture: string, steps: Array<[string, number?]>, labels: Record<string, string> = {}): ManifestFact {
  const history: HistoryEntry[] = steps.map(([createdBy, size]) => ({ createdBy, emptyLayer: size === undefined }));
  const layers = steps.filter(([, s]) => s !== undefined).map(([, size], i) => ({ digest: d(n * 100 + i), size: size!, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }));
  return {
    digest: d(n),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platform: { os: 'linux', architecture },
    layers,
    totalSize: layers.reduce((s, l) => s + l.size, 0),
    config: { digest: d(n + 1), created: '2026-05-30T12:00:00Z', labels, env: [], history },
  };
}

const NODE_STEPS: Array<[string, number?]> = [
  ['/bin/sh -c #(nop) ADD file:4c5b in / ', 3_400_000],
  ['/bin/sh -c #(nop)  CMD ["/bin/sh"]'],
  ['ENV NODE_VERSION=20.11.1'],
  ['RUN /bin/sh -c apk add --no-cache nodejs | tee /dev/null # buildkit', 40_000_000],
  ['COPY docker-entrypoint.sh /usr/local/bin/ # buildkit', 1_200],
];
const LABELS = {
  'org.opencontainers.image.source': 'https://github.com/nodejs/docker-node',
  'org.opencontainers.image.revision': 'abc123',
  'org.opencontainers.image.version': '20.11.1',
  'org.opencontainers.image.base.name': 'docker.io/library/alpine:3.19',
  maintainer: 'Node.js Docker Team',
};

function nodeFacts(): ImageFacts {
  const amd = platformManifest(10, 'amd64', NODE_STEPS, LABELS);
  const arm = platformManifest(20, 'arm64', NODE_STEPS, LABELS);
  return {
    reference: 'docker.io/library/node:20.11.1-alpine',
    digest: d(1),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [amd, arm, { digest: d(30), mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: { os: 'unknown', architecture: 'unknown' }, layers: [], totalSize: 0 }],
    attestations: [{ subjectDigest: amd.digest, digest: d(30), predicateTypes: ['https://slsa.dev/provenance/v0.2', 'https://spdx.dev/Document'] }],
    fetchedAt: '2026-06-14T10:00:00Z',
    fromCache: true,
  };
}

function factsWith(...images: ImageFacts[]): RegistryFacts {
  return { images: new Map(images.map((i) => [i.reference, i])), repositories: new Map() };
}

const POLICY: Policy = {
  ...defaultPolicy(),
  allowedImages: [{ image: 'docker.io/library/node', tags: ['20.*'], source: { file: '/repo/.plimsoll.yaml', line: 4, column: 7 } }],
  deniedImages: [{ image: 'docker.io/library/ubuntu', tags: ['16.04'], reason: 'end of life', replacement: 'ubuntu:24.04', source: { file: '/repo/.plimsoll.yaml', line: 9, column: 7 } }],
};

describe('provenance data', () => {
  test('reference through an ARG, index and platform digests, layers with created_by, labels, attestations, verdict and pin', () => {
    const model = buildModel('ARG NODE=node:20.11.1-alpine\nFROM ${NODE}\n');
    const p = provenance(model, model.images[0]!, factsWith(nodeFacts()), POLICY);
    assert.equal(p.reference.written, '${NODE}');
    assert.equal(p.reference.normalised, 'docker.io/library/node:20.11.1-alpine');
    assert.deepEqual(p.reference.variables, [{ name: 'NODE', value: 'node:20.11.1-alpine', line: 1 }]);
    assert.equal(p.digest?.resolved, d(1));
    assert.equal(p.digest?.manifest, d(10));
    assert.equal(p.platform, 'linux/amd64');
    assert.deepEqual(p.platforms, ['linux/amd64', 'linux/arm64']);
    assert.equal(p.created, '2026-05-30T12:00:00Z');
    assert.equal(p.size?.total, 43_401_200);
    assert.deepEqual(p.size?.layers.map((l) => [l.index, l.size, l.createdBy?.slice(0, 14)]), [
      [1, 3_400_000, '/bin/sh -c #(n'],
      [2, 40_000_000, 'RUN /bin/sh -c'],
      [3, 1_200, 'COPY docker-en'],
    ]);
    assert.equal(p.labels.source, 'https://github.com/nodejs/docker-node');
    assert.equal(p.labels.revision, 'abc123');
    assert.equal(p.labels.version, '20.11.1');
    assert.equal(p.labels.baseName, 'docker.io/library/alpine:3.19');
    assert.deepEqual(p.labels.others, [['maintainer', 'Node.js Docker Team']]);
    assert.deepEqual(p.attestations, { provenance: true, sbom: true, predicateTypes: ['https://slsa.dev/provenance/v0.2', 'https://spdx.dev/Document'] });
    assert.equal(p.verdict?.kind, 'approved');
    assert.equal(p.verdict?.entry?.image, 'docker.io/library/node');
    assert.deepEqual(p.verdict?.entry?.source, { file: '/repo/.plimsoll.yaml', line: 4, column: 7 });
    assert.equal(p.pin.state, 'exact-tag');
    assert.equal(p.facts.known, true);
    assert.equal(p.facts.fromCache, true);
  });

  test('the platform of FROM --platform picks the manifest, and attestations are those of that manifest', () => {
    const model = buildModel('FROM --platform=linux/arm64 node:20.11.1-alpine\n');
    const p = provenance(model, model.images[0]!, factsWith(nodeFacts()), POLICY);
    assert.equal(p.platform, 'linux/arm64');
    assert.equal(p.digest?.manifest, d(20));
    // No attestation names the arm64 manifest: the image's attestations are shown.
    assert.equal(p.attestations.provenance, true);
  });

  test('denied, unapproved and no-allowlist verdicts name the rule or say there is no allowlist', () => {
    const model = buildModel('FROM ubuntu:16.04\nFROM node:18.20.0\nFROM debian:12\n');
    const [denied, unapproved] = model.images.map((u) => provenance(model, u, undefined, POLICY));
    assert.equal(denied!.verdict?.kind, 'denied');
    assert.equal(denied!.verdict?.ruleId, 'PL102');
    assert.equal(denied!.verdict?.replacement, 'ubuntu:24.04');
    assert.equal(unapproved!.verdict?.kind, 'unapproved');
    assert.equal(unapproved!.verdict?.ruleId, 'PL101');
    assert.ok(unapproved!.verdict!.near.length > 0);
    const open = provenance(model, model.images[2]!, undefined, defaultPolicy());
    assert.equal(open.verdict?.kind, 'approved');
    assert.equal(open.verdict?.noAllowlist, true);
    assert.equal(open.verdict?.entry, undefined);
    assert.equal(open.facts.known, false);
  });

  test('pin states', () => {
    const model = buildModel(`FROM node:20.11.1-alpine@sha256:${'a'.repeat(64)} AS a
FROM node:20.11.1-alpine AS b
FROM node:20-alpine AS c
FROM node AS d
FROM node:latest AS e
FROM a AS f
FROM scratch
`);
    assert.deepEqual(model.stages.map((s) => pinState(s.image)), ['digest', 'exact-tag', 'floating', 'latest', 'latest', 'none', 'none']);
  });

  test('a registry error is carried, and a stage reference is described as a stage', () => {
    const model = buildModel('FROM node:20.11.1-alpine AS build\nFROM build\n');
    const failed: ImageFacts = { ...nodeFacts(), manifests: [], error: { code: 'NOT_FOUND', message: 'manifest unknown' } };
    const p = provenance(model, model.images[0]!, factsWith(failed), POLICY);
    assert.equal(p.facts.known, false);
    assert.equal(p.facts.error, 'NOT_FOUND: manifest unknown');
    const s = provenance(model, model.images[1]!, undefined, POLICY);
    assert.deepEqual(s.reference.stage, { name: 'build', line: 1 });
    assert.equal(s.pin.state, 'none');
  });
});

describe('provenance markdown', () => {
  test('summary, one table row per layer with a size bar, labels, attestations, verdict', () => {
    const model = buildModel('FROM node:20.11.1-alpine\n');
    const md = renderProvenanceMarkdown(provenance(model, model.images[0]!, factsWith(nodeFacts()), POLICY), (id) => `https://docs.example/${id}`);
    const lines = md.split('\n');
    assert.match(lines[0]!, /^\*\*`node:20\.11\.1-alpine`\*\* · linux\/amd64 · 43\.4 MB compressed · 3 layers · created 2026-05-30$/);
    const header = lines.indexOf('| # | size | share | created by |');
    assert.ok(header > 0);
    const rows = lines.slice(header + 2).filter((l) => l.startsWith('| '));
    assert.equal(rows.length, 3);
    for (const row of rows) assert.match(row, /^\| \d+ \| [\d.]+ (?:B|kB|MB) \| [█░]{8} \| .*\|$/);
    assert.match(rows[1]!, /\| 2 \| 40 MB \| ███████░ \|/);
    // A pipe inside created_by does not break the table.
    assert.ok(rows[1]!.includes('\\|'));
    assert.ok(lines.some((l) => l.startsWith('- Source: https://github.com/nodejs/docker-node')));
    assert.ok(lines.some((l) => /^Attestations: SLSA provenance \*\*yes\*\* · SBOM \*\*yes\*\*/.test(l)));
    assert.ok(lines.some((l) => /^Policy: \*\*approved\*\* by `docker\.io\/library\/node` \(tags 20\.\*\) \(\.plimsoll\.yaml:4\)$/.test(l)));
  });

  test('a denied image links to its rule docs; an image without facts says so', () => {
    const model = buildModel('FROM ubuntu:16.04\n');
    const md = renderProvenanceMarkdown(provenance(model, model.images[0]!, undefined, POLICY), (id) => `https://docs.example/${id}`);
    assert.ok(md.includes('[PL102](https://docs.example/PL102)'));
    assert.ok(!md.includes('| # |'));
    assert.match(md, /_No registry facts for this image\._$/);
  });

  test('sizeBar', () => {
    assert.equal(sizeBar(50, 100), '████░░░░');
    assert.equal(sizeBar(1, 1_000_000), '█░░░░░░░');
    assert.equal(sizeBar(0, 100), '░░░░░░░░');
    assert.equal(sizeBar(100, 100), '████████');
  });
});

describe('built image layers per instruction', () => {
  const text = `FROM node:20.11.1-alpine AS deps
COPY package.json package-lock.json ./
RUN ./scripts/install.sh

FROM deps
ENV PORT=8080
COPY . .
`;
  const base = nodeFacts();
  const built = platformManifest(40, 'amd64', [
    ...NODE_STEPS,
    ['COPY package.json package-lock.json ./ # buildkit', 40_000],
    ['RUN /bin/sh -c ./scripts/install.sh # buildkit', 48_210_000],
    ['ENV PORT=8080'],
    ['COPY . . # buildkit', 2_300_000],
  ]);
  const builtFacts: ImageFacts = { reference: 'registry.acme.internal/team/app:main', digest: built.digest, manifests: [built], attestations: [], fetchedAt: '2026-06-14T10:00:00Z', fromCache: false };
  const facts = factsWith(base, builtFacts);
  const model = buildModel(text);
  const IMAGE = 'registry.acme.internal/team/app:main';

  test('instructionLayer: the layer a RUN made, no layer for ENV, nothing for FROM or unknown images', () => {
    const run = instructionLayer(model, { line: 2, character: 3 }, facts, IMAGE)!;
    assert.ok(run.includes(formatBytes(48_210_000)));
    assert.ok(run.includes(d(40 * 100 + 4)));
    assert.match(run, /layer 5 of 6/);
    const env = instructionLayer(model, { line: 5, character: 0 }, facts, IMAGE)!;
    assert.match(env, /no layer/);
    assert.equal(instructionLayer(model, { line: 0, character: 2 }, facts, IMAGE), undefined);
    assert.equal(instructionLayer(model, { line: 2, character: 3 }, facts, 'registry.acme.internal/team/other:main'), undefined);
    assert.equal(instructionLayer(model, { line: 2, character: 3 }, facts, undefined), undefined);
  });

  test('layerHints: a size at each instruction that made a layer and a total at each FROM of the chain', () => {
    const hints = layerHints(model, facts, IMAGE);
    assert.deepEqual(
      hints.map((h) => [h.position.line, h.position.character]),
      [[0, 32], [1, 38], [2, 24], [4, 9], [6, 8]],
    );
    assert.equal(hints[1]!.label, formatBytes(40_000));
    assert.equal(hints[2]!.label, formatBytes(48_210_000));
    assert.ok(hints[0]!.label.includes(formatBytes(48_250_000)));
    assert.ok(hints[3]!.label.includes(formatBytes(2_300_000)));
    assert.ok(hints[3]!.label.includes(formatBytes(built.totalSize)));
  });

  test('a history that does not line up gives no hints and no hover', () => {
    const changed = buildModel(text.replace('install.sh', 'install.sh --ci'));
    assert.deepEqual(layerHints(changed, facts, IMAGE), []);
    assert.equal(instructionLayer(changed, { line: 2, character: 3 }, facts, IMAGE), undefined);
  });
});

describe('base image secrets (PL405) stay masked', () => {
  test('no finding shows the secret, only a masked form', () => {
    const dir = join(__dirname, '..', 'fixtures', 'rules', 'PL405');
    const raw = JSON.parse(readFileSync(join(dir, 'leaky-base.facts.json'), 'utf8')) as { images: Record<string, ImageFacts> };
    const facts: RegistryFacts = { images: new Map(Object.entries(raw.images)), repositories: new Map() };
    const result = lint({ text: readFileSync(join(dir, 'leaky-base.Dockerfile'), 'utf8'), facts, today: '2026-06-15' });
    const found = result.findings.filter((f) => f.ruleId === 'PL405');
    assert.equal(found.length, 4);
    const secrets = [...JSON.stringify(raw).matchAll(/(npm_[A-Za-z0-9]{36}|ghp_[A-Za-z0-9]{36}|Tr0ub4dor-x9Q2|Correct horse 7 battery)/g)].map((m) => m[1]!);
    assert.ok(secrets.length >= 4);
    for (const f of found) {
      for (const s of secrets) {
        assert.ok(!f.message.includes(s), 'message leaks a secret');
        assert.ok(!f.fingerprint.includes(s));
      }
      assert.match(f.message, /\*\*\*\*/);
    }
  });
});
