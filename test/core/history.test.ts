// Mapping a built image's history back to instructions: BuildKit and classic-builder shapes, heredocs, ARG
// prefixes, multi-stage builds, and histories that must be refused rather than guessed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../server/src/core/model.ts';
import { builtImageFor, builtImageMapping, mapHistory, parseCreatedBy, type HistoryMapping } from '../../server/src/core/history.ts';
import type { HistoryEntry, ImageConfigFact, ManifestFact, RegistryFacts } from '../../server/src/core/facts.ts';
import { defaultPolicy } from '../../server/src/core/policy.ts';

type Step = [createdBy: string, layerSize?: number];

let digestSeq = 0;
function digest(): string {
  return `sha256:${(++digestSeq).toString(16).padStart(64, '0')}`;
}

function config(steps: Step[], buildkit = false): ImageConfigFact {
  const history: HistoryEntry[] = steps.map(([createdBy, size]) => ({
    createdBy,
    emptyLayer: size === undefined,
    ...(buildkit ? { comment: 'buildkit.dockerfile.v0' } : {}),
  }));
  return { digest: digest(), labels: {}, env: [], history };
}

function manifest(steps: Step[], buildkit = false): ManifestFact {
  const layers = steps.filter(([, s]) => s !== undefined).map(([, size]) => ({ digest: digest(), size: size!, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }));
  return {
    digest: digest(),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platform: { os: 'linux', architecture: 'amd64' },
    layers,
    config: config(steps, buildkit),
    totalSize: layers.reduce((n, l) => n + l.size, 0),
  };
}

const BASE: Step[] = [['/bin/sh -c #(nop) ADD file:4c5b3c2a1 in / ', 3_400_000], ['/bin/sh -c #(nop)  CMD ["/bin/sh"]'], ['ENV NODE_VERSION=20.11.1'], ['RUN /bin/sh -c apk add --no-cache nodejs # buildkit', 40_000_000]];

/** `line:keyword=layerIndex|-` for each mapped instruction, for compact assertions. */
function shape(m: HistoryMapping): string[] {
  return m.entries.map((e) => `${e.instr.range.start.line + 1}:${e.instr.keyword}=${e.layer ? e.layer.index : '-'}`);
}

const NODE_APP = `FROM node:20.11.1-alpine
ARG NODE_ENV=production
ENV NODE_ENV=$NODE_ENV PORT=8080
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev && \\
    npm cache clean --force
COPY . .
USER node
CMD ["node", "server.js"]
`;

describe('parseCreatedBy', () => {
  test('BuildKit, classic and unknown shapes', () => {
    assert.deepEqual(parseCreatedBy('RUN /bin/sh -c make # buildkit', 'buildkit.dockerfile.v0'), { keyword: 'RUN', builder: 'buildkit', args: '/bin/sh -c make' });
    assert.deepEqual(parseCreatedBy('ENV A=1 B=2'), { keyword: 'ENV', builder: 'buildkit', args: 'A=1 B=2' });
    assert.deepEqual(parseCreatedBy('/bin/sh -c #(nop)  ENV X=1'), { keyword: 'ENV', builder: 'classic', args: 'X=1' });
    assert.deepEqual(parseCreatedBy('/bin/sh -c #(nop) COPY file:abc in /app '), { keyword: 'COPY', builder: 'classic', args: 'file:abc in /app' });
    assert.deepEqual(parseCreatedBy('cmd /S /C #(nop) WORKDIR C:\\app'), { keyword: 'WORKDIR', builder: 'classic', args: 'C:\\app' });
    assert.deepEqual(parseCreatedBy('|2 A=1 B=2 /bin/sh -c apt-get update'), { keyword: 'RUN', builder: 'classic', args: '|2 A=1 B=2 /bin/sh -c apt-get update' });
    assert.deepEqual(parseCreatedBy(''), { builder: 'unknown', args: '' });
    assert.deepEqual(parseCreatedBy(undefined), { builder: 'unknown', args: '' });
  });
});

describe('mapHistory', () => {
  test('BuildKit history: every instruction gets its entry, layers are numbered across the image', () => {
    const model = buildModel(NODE_APP);
    const img = manifest(
      [
        ...BASE,
        ['ARG NODE_ENV=production'],
        ['ENV NODE_ENV=production PORT=8080'],
        ['WORKDIR /app', 120],
        ['COPY package*.json ./ # buildkit', 2_000],
        ['RUN |1 NODE_ENV=production /bin/sh -c npm ci --omit=dev &&     npm cache clean --force # buildkit', 48_200_000],
        ['COPY . . # buildkit', 9_000],
        ['USER node'],
        ['CMD ["node" "server.js"]'],
      ],
      true,
    );
    const m = mapHistory(model, img, { base: manifest(BASE, true).config! });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['2:ARG=-', '3:ENV=-', '4:WORKDIR=3', '5:COPY=4', '6:RUN=5', '8:COPY=6', '9:USER=-', '10:CMD=-']);
    assert.equal(m.baseCount, 4);
    assert.equal(m.baseLayerCount, 2);
    assert.equal(m.layerCount, 6);
    assert.equal(m.entries.find((e) => e.instr.keyword === 'RUN')!.layer!.size, 48_200_000);
    assert.ok(m.entries.every((e) => e.builder === 'buildkit'));
    assert.deepEqual(m.problems, []);
  });

  test('classic-builder history: #(nop) metadata, COPY by content hash, RUN with a build-arg prefix', () => {
    const model = buildModel(NODE_APP);
    const img = manifest([
      ...BASE,
      ['/bin/sh -c #(nop)  ARG NODE_ENV=production'],
      ['/bin/sh -c #(nop)  ENV NODE_ENV=production PORT=8080'],
      ['/bin/sh -c #(nop) WORKDIR /app'],
      ['/bin/sh -c #(nop) COPY multi:0a1b2c3d in ./ ', 2_000],
      ['|1 NODE_ENV=production /bin/sh -c npm ci --omit=dev &&     npm cache clean --force', 48_200_000],
      ['/bin/sh -c #(nop) COPY dir:9f8e7d6c in . ', 9_000],
      ['/bin/sh -c #(nop)  USER node'],
      ['/bin/sh -c #(nop)  CMD ["node" "server.js"]'],
    ]);
    const m = mapHistory(model, img, { base: manifest(BASE).config! });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['2:ARG=-', '3:ENV=-', '4:WORKDIR=-', '5:COPY=3', '6:RUN=4', '8:COPY=5', '9:USER=-', '10:CMD=-']);
    assert.ok(m.entries.slice(2).every((e) => e.builder === 'classic'));
  });

  test('heredoc RUNs: the script, a shebang script in /dev/pipes, and a command line with its body', () => {
    const model = buildModel(`# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN <<EOF
set -e
apk add --no-cache curl
EOF
RUN <<'SCRIPT'
#!/bin/sh
echo hi
SCRIPT
RUN bash <<A
echo a
A
`);
    const img = manifest(
      [
        ['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000],
        ['/bin/sh -c #(nop)  CMD ["/bin/sh"]'],
        ['RUN /bin/sh -c set -e\napk add --no-cache curl\n # buildkit', 1_000_000],
        ['RUN /bin/sh -c /dev/pipes/SCRIPT # buildkit', 10],
        ['RUN /bin/sh -c bash <<A\necho a\nA # buildkit', 20],
      ],
      true,
    );
    const m = mapHistory(model, img);
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['3:RUN=2', '7:RUN=3', '11:RUN=4']);
    assert.equal(m.baseCount, 2);
  });

  test('ARG prefixes with several values, exec-form RUN, and a custom SHELL', () => {
    const model = buildModel(`FROM debian:12
ARG A=1
ARG B="two words"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN make all
RUN ["/usr/bin/env", "true"]
`);
    const img = manifest([
      ['/bin/sh -c #(nop) ADD file:bb in / ', 30_000_000],
      ['/bin/sh -c #(nop)  ARG A=1'],
      ['/bin/sh -c #(nop)  ARG B=two words'],
      ['/bin/sh -c #(nop)  SHELL [/bin/bash -o pipefail -c]'],
      ['|2 A=1 B=two words /bin/bash -o pipefail -c make all', 100],
      ['|2 A=1 B=two words /usr/bin/env true', 0],
    ]);
    const m = mapHistory(model, img, { base: config([['/bin/sh -c #(nop) ADD file:bb in / ', 1]]) });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['2:ARG=-', '3:ARG=-', '4:SHELL=-', '5:RUN=2', '6:RUN=3']);
  });

  test('old BuildKit without ARG or USER entries: those instructions simply have none', () => {
    const model = buildModel('FROM alpine:3.20\nARG V=1\nRUN echo $V\nUSER nobody\n');
    const img = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['RUN |1 V=1 /bin/sh -c echo $V # buildkit', 10]], true);
    const m = mapHistory(model, img, { base: config([['/bin/sh -c #(nop) ADD file:aa in / ', 1]]) });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['3:RUN=2']);
  });

  test('COPY --from: the build stage leaves no history in the final image, only the COPY does', () => {
    const model = buildModel(`FROM golang:1.22.5 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`);
    const base: Step[] = [['COPY / / # buildkit', 2_000_000], ['USER 65532'], ['WORKDIR /home/nonroot']];
    const img = manifest([...base, ['COPY /out/app /app # buildkit', 12_000_000], ['ENTRYPOINT ["/app"]']], true);
    const m = mapHistory(model, img, { base: config(base) });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['7:COPY=2', '8:ENTRYPOINT=-']);
    assert.equal(m.baseCount, 3);
  });

  test('a built stage that is not the last one (docker build --target build)', () => {
    const model = buildModel(`FROM golang:1.22.5 AS build
WORKDIR /src
RUN go build -o /out/app ./cmd/app
FROM scratch
COPY --from=build /out/app /app
`);
    const img = manifest([['/bin/sh -c #(nop) ADD file:go in / ', 80_000_000], ['WORKDIR /src', 100], ['RUN /bin/sh -c go build -o /out/app ./cmd/app # buildkit', 5_000_000]], true);
    const m = mapHistory(model, img, { stage: model.stages[0]! });
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['2:WORKDIR=2', '3:RUN=3']);
    // The same history against the final stage does not line up.
    assert.equal(mapHistory(model, img).status, 'mismatch');
  });

  test('FROM <stage>: the parent stage\'s instructions are part of the image; scratch means no base entries', () => {
    const model = buildModel(`FROM scratch AS base
COPY rootfs/ /
FROM base AS final
RUN ["/bin/setup"]
LABEL org.opencontainers.image.source=https://github.com/acme/app
`);
    const img = manifest([['COPY rootfs/ / # buildkit', 1_000], ['RUN /bin/setup # buildkit', 2_000], ['LABEL org.opencontainers.image.source=https://github.com/acme/app']], true);
    const m = mapHistory(model, img);
    assert.equal(m.status, 'mapped', m.problems.join('; '));
    assert.deepEqual(shape(m), ['2:COPY=1', '4:RUN=2', '5:LABEL=-']);
    assert.equal(m.baseCount, 0);
    assert.equal(m.entries[0]!.instr.stage?.name, 'base');
  });

  test('a changed RUN is a mismatch, with the line and the history entry in the reason', () => {
    const model = buildModel('FROM alpine:3.20\nRUN apk add --no-cache curl\nCOPY app /app\n');
    const img = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['RUN /bin/sh -c apk add curl # buildkit', 2_000_000], ['COPY app /app # buildkit', 10]], true);
    const m = mapHistory(model, img);
    assert.equal(m.status, 'mismatch');
    assert.deepEqual(m.entries, []);
    assert.match(m.problems.at(-1)!, /line 2/);
    assert.match(m.problems.at(-1)!, /history entry 2/);
  });

  test('keyword mismatches, missing entries and layer-count disagreements are mismatches', () => {
    const model = buildModel('FROM alpine:3.20\nCOPY a /a\nENV X=1\n');
    const swapped = manifest([['ENV X=1'], ['COPY a /a # buildkit', 10]], true);
    assert.equal(mapHistory(model, swapped).status, 'mismatch');
    const short = manifest([['ENV X=1']], true);
    assert.equal(mapHistory(model, short).status, 'mismatch');
    const img = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['COPY a /a # buildkit', 10], ['ENV X=1']], true);
    img.layers.pop();
    const m = mapHistory(model, img);
    assert.equal(m.status, 'mismatch');
    assert.match(m.problems[0]!, /2 layers but the manifest has 1/);
    const wrongKey = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['COPY a /a # buildkit', 10], ['ENV Y=1']], true);
    assert.equal(mapHistory(model, wrongKey).status, 'mismatch');
    const envWithLayer = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['COPY a /a # buildkit', 10], ['ENV X=1', 5]], true);
    assert.equal(mapHistory(model, envWithLayer).status, 'mismatch');
  });

  test('an entry that says nothing about its instruction is ambiguous; no history at all too', () => {
    const model = buildModel('FROM alpine:3.20\nCOPY a /a\n');
    const img = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['', 10]]);
    const m = mapHistory(model, img);
    assert.equal(m.status, 'ambiguous');
    assert.deepEqual(m.entries, []);
    const none = manifest([]);
    none.layers.push({ digest: digest(), size: 1, mediaType: 'x' });
    assert.equal(mapHistory(model, none).status, 'ambiguous');
  });

  test('without the base\'s history, a leading ARG entry could be the base\'s: left unmapped, with a note', () => {
    const model = buildModel('FROM alpine:3.20\nARG V=1\nRUN echo $V\n');
    const img = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['ARG V=1'], ['RUN |1 V=1 /bin/sh -c echo $V # buildkit', 10]], true);
    const m = mapHistory(model, img);
    assert.equal(m.status, 'mapped');
    assert.deepEqual(shape(m), ['3:RUN=2']);
    assert.equal(m.baseCount, 2);
    assert.match(m.problems[0]!, /line 2/);
    // With the base's history the entry is known to be the ARG's.
    const known = mapHistory(model, img, { base: config([['/bin/sh -c #(nop) ADD file:aa in / ', 1]]) });
    assert.deepEqual(shape(known), ['2:ARG=-', '3:RUN=2']);
    assert.equal(known.baseCount, 1);
  });

  test('ONBUILD triggers of the base show up as unexplained entries after it (a note, still mapped)', () => {
    const model = buildModel('FROM acme/onbuild-node:20\nRUN npm test\n');
    const base: Step[] = [['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['ONBUILD COPY . /app']];
    const img = manifest([...base, ['COPY . /app # buildkit', 500], ['RUN /bin/sh -c npm test # buildkit', 10]], true);
    const m = mapHistory(model, img, { base: config(base) });
    assert.equal(m.status, 'mapped');
    assert.deepEqual(shape(m), ['2:RUN=3']);
    assert.equal(m.baseCount, 2);
    assert.match(m.problems[0]!, /ONBUILD/);
  });

  test('a base whose history is not a prefix (the tag moved) falls back to aligning from the end, with a note', () => {
    const model = buildModel('FROM alpine:3.20\nRUN echo hi\n');
    const img = manifest([['/bin/sh -c #(nop) ADD file:old in / ', 3_000_000], ['RUN /bin/sh -c echo hi # buildkit', 10]], true);
    const m = mapHistory(model, img, { base: config([['/bin/sh -c #(nop) ADD file:new in / ', 1]]) });
    assert.equal(m.status, 'mapped');
    assert.deepEqual(shape(m), ['2:RUN=2']);
    assert.match(m.problems[0]!, /moved/);
  });
});

describe('built image from facts and policy.builds', () => {
  test('builtImageMapping reads the built image and the base from registry facts', () => {
    const model = buildModel('FROM alpine:3.20\nRUN echo hi\n');
    const baseM = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000]]);
    const built = manifest([['/bin/sh -c #(nop) ADD file:aa in / ', 3_000_000], ['RUN /bin/sh -c echo hi # buildkit', 10]], true);
    const img = (reference: string, m: ManifestFact) => ({ reference, digest: m.digest, manifests: [m], attestations: [], fetchedAt: '2026-06-01T00:00:00Z', fromCache: false });
    const facts: RegistryFacts = {
      images: new Map([
        ['docker.io/library/alpine:3.20', img('docker.io/library/alpine:3.20', baseM)],
        ['registry.acme.internal/team/app:main', img('registry.acme.internal/team/app:main', built)],
      ]),
      repositories: new Map(),
    };
    const b = builtImageMapping(model, facts, 'registry.acme.internal/team/app:main')!;
    assert.equal(b.key, 'registry.acme.internal/team/app:main');
    assert.equal(b.mapping.status, 'mapped');
    assert.equal(b.mapping.baseCount, 1);
    assert.equal(builtImageMapping(model, facts, 'registry.acme.internal/team/other:main'), undefined);
    assert.equal(builtImageMapping(model, facts, undefined), undefined);
  });

  test('builtImageFor: first matching builds entry, relative to the declaring policy file', () => {
    const policy = {
      ...defaultPolicy(),
      builds: [
        { dockerfile: 'services/*/Dockerfile', image: 'r.example/svc:main', source: { file: '/repo/.plimsoll.yaml', line: 3, column: 5 } },
        { dockerfile: 'Dockerfile', image: 'r.example/root:main', source: { file: '/repo/.plimsoll.yaml', line: 5, column: 5 } },
        { dockerfile: 'Dockerfile', image: 'r.example/nosource:main' },
      ],
    };
    assert.equal(builtImageFor(policy, 'services/api/Dockerfile', '/repo/services/api/Dockerfile'), 'r.example/svc:main');
    assert.equal(builtImageFor(policy, 'Dockerfile', '/repo/Dockerfile'), 'r.example/root:main');
    assert.equal(builtImageFor(policy, 'Dockerfile', '/elsewhere/Dockerfile'), 'r.example/root:main', 'falls back to the path as the policy sees it');
    assert.equal(builtImageFor(policy, 'web/Dockerfile', '/repo/web/Dockerfile'), undefined);
    assert.equal(builtImageFor(defaultPolicy(), 'Dockerfile'), undefined);
  });
});
