// A small estate for the report tests: a policy, nine Dockerfiles (one in a folder whose name is HTML),
// and registry facts with sizes for some of the images, served by an injected gather.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageFacts, RegistryFacts } from '../../../server/src/core/facts.ts';
import type { FactsRequest } from '../../../server/src/core/registryView.ts';
import type { GatherSummary } from '../../../server/src/registry/gather.ts';

export const TODAY = '2026-06-15';
const DIGEST = 'sha256:9c2f8d1e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e';

/** A folder name with markup in it: the HTML must show it as text. */
export const ODD_DIR = 'odd<b>dir&co';

export const POLICY = `images:
  allow:
    - image: node
      semver: ">=20 <23"
    - image: nginx
      tags: ["1.27.*"]
    - image: python
      semver: ">=3.11"
      variants: [slim]
    - image: golang
    - image: gcr.io/distroless/*
    - image: alpine
  deny:
    - image: ubuntu
      tags: ["16.04", "18.04"]
      reason: Past end of standard support
      replacement: ubuntu:24.04
registries:
  trusted: [docker.io, gcr.io]
pinning:
  level: digest
  scope: final
sizes:
  copyContext: 50MB
waivers:
  - rules: [PL102]
    file: services/legacy/**
    reason: "OPS-12 <script>alert(1)</script> migrate off 16.04"
    owner: team-payments
    expires: 2026-07-01
  - rules: [PL401]
    file: services/worker/**
    reason: token is a build-time placeholder
    owner: team-data
    expires: 2027-03-31
  - rules: [PL302]
    reason: old exception
    expires: 2026-01-31
`;

export const FILES: Record<string, string> = {
  'services/api/Dockerfile': `FROM node:20.11.1-alpine AS build
WORKDIR /src
COPY package.json ./
RUN npm ci
FROM gcr.io/distroless/nodejs20-debian12@${DIGEST}
COPY --from=build /src /app
`,
  'services/web/Dockerfile': 'FROM nginx:1.27.0-alpine\nCOPY site /usr/share/nginx/html\n',
  'services/worker/Dockerfile': `ARG PY=3.12.4
FROM python:\${PY}-slim
ARG NPM_TOKEN
RUN pip install requests
`,
  'services/legacy/Dockerfile': 'FROM ubuntu:16.04\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n',
  'services/batch/Containerfile': 'FROM quay.io/centos/centos:stream9\n',
  'tools/ci/Dockerfile': 'FROM docker:latest\n',
  'tools/lint.Dockerfile': 'FROM golang:1.22 AS lint\nFROM alpine\n',
  'site/Dockerfile': `FROM node:20.11.1-alpine@${DIGEST}\n`,
  [`${ODD_DIR}/Dockerfile`]: 'FROM node:22.3.0\n',
};

export function writeEstate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-estate-'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.plimsoll.yaml'), POLICY);
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Compressed sizes the fake registry knows, by normalised reference. */
export const SIZES: Record<string, number> = {
  'docker.io/library/node:20.11.1-alpine': 48_210_000,
  [`gcr.io/distroless/nodejs20-debian12@${DIGEST}`]: 41_700_000,
  'docker.io/library/nginx:1.27.0-alpine': 20_100_000,
  'docker.io/library/python:3.12.4-slim': 51_300_000,
  'docker.io/library/ubuntu:16.04': 46_500_000,
  'docker.io/library/golang:1.22': 284_000_000,
  'docker.io/library/node:22.3.0': 392_000_000,
};

function facts(reference: string, size: number): ImageFacts {
  return {
    reference,
    digest: DIGEST,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    manifests: [
      {
        digest: DIGEST,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platform: { os: 'linux', architecture: 'amd64' },
        layers: [{ digest: DIGEST, size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
        totalSize: size,
      },
    ],
    attestations: [],
    fetchedAt: '2026-06-14T08:00:00Z',
    fromCache: false,
  };
}

/** A gather that answers from SIZES and reports the rest missing, like a registry that has only some images. */
export function fakeGather(want: (facts: RegistryFacts) => FactsRequest): Promise<{ facts: RegistryFacts; summary: GatherSummary }> {
  const out: RegistryFacts = { images: new Map(), repositories: new Map(), digestExists: new Map() };
  const summary: GatherSummary = { requested: 0, fromCache: 0, missing: [] };
  for (const ref of want(out).images) {
    summary.requested++;
    const size = SIZES[ref];
    if (size === undefined) summary.missing.push({ reference: ref, code: 'NOT_FOUND', message: 'not in the fake registry' });
    else out.images.set(ref, facts(ref, size));
  }
  return Promise.resolve({ facts: out, summary });
}
