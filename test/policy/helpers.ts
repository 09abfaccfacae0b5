// Helpers for policy tests: positions are found from the fixture text, so cases stay readable while
// still asserting exact lines and columns.
import { parsePolicyText } from '../../server/src/policy/parse.ts';
import type { PolicyError } from '../../server/src/policy/types.ts';

/** 1-based line and column of the `nth` (1-based) occurrence of `needle` in `text`. */
export function at(text: string, needle: string, nth = 1): { line: number; column: number } {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`"${needle}" (#${nth}) not in fixture`);
  }
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return { line, column: i - before.lastIndexOf('\n') };
}

/** `severity code line:column`, the shape most assertions compare. */
export function brief(e: PolicyError): string {
  return `${e.severity} ${e.code ?? '?'} ${e.line}:${e.column}`;
}

/** The expected `brief` for an error of `code` at `needle`. */
export function expected(text: string, severity: 'error' | 'warning', code: string, needle: string, nth = 1): string {
  const p = at(text, needle, nth);
  return `${severity} ${code} ${p.line}:${p.column}`;
}

export function parse(text: string, known?: ReadonlySet<string>): ReturnType<typeof parsePolicyText> {
  return parsePolicyText(text, '/repo/.plimsoll.yaml', known);
}

export const FULL_EXAMPLE = `extends: ../org/.plimsoll.yaml
images:
  allow:
    - image: node
      tags: ["20.*"]
      semver: ">=20.11 <21"
      variants: [alpine, slim, ""]
    - image: ghcr.io/acme/*
  deny:
    - image: ubuntu
      tags: ["14.04", "16.04"]
      reason: "End of life"
      replacement: ubuntu:24.04
  replacements:
    - from: python
      to: registry.acme.internal/golden/python
    - from: ghcr.io/legacy/*
      to: registry.acme.internal/golden/base:2
registries:
  trusted: [docker.io, ghcr.io, "*.acme.internal"]
pinning:
  level: digest
  scope: final
  precision: patch
  stages: { builder: tag }
  platformDigests: true
  bump: minor
sizes:
  baseImage: 300MB
  layer: 100MB
  copyContext: 50MB
secrets:
  patterns: [{ id: acme-token, description: "ACME API token", regex: 'acme_[a-z0-9]{32}' }]
  allowedNames: [PUBLIC_KEY_URL]
  sensitiveFiles: ["*.p12"]
rules:
  PL303: error
  PL101: { severity: warning }
suppression:
  inline: false
waivers:
  - rules: [PL101]
    file: services/legacy/**
    stage: builder
    image: docker.io/library/centos*
    reason: "OPS-12 migration"
    owner: team-x
    expires: 2027-01-31
builds:
  - dockerfile: ./services/api/Dockerfile
    image: registry.acme.internal/team/api:main
  - { dockerfile: "services/*/Dockerfile", image: registry.acme.internal/team/services }
`;
