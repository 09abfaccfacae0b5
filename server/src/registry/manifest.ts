// Pure parsing of manifests, indexes and image configs into facts. Input is the exact bytes that
// were digest-verified; nothing here re-serialises JSON.
import { createHash } from 'node:crypto';
import { RegistryError } from './errors.ts';
import type { HistoryEntry, ImageConfigFact, LayerFact, Platform } from '../core/facts.ts';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Sent as `Accept` on every manifest request, indexes first. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

export const ATTESTATION_TYPE_ANNOTATION = 'vnd.docker.reference.type';
export const ATTESTATION_SUBJECT_ANNOTATION = 'vnd.docker.reference.digest';
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export type ManifestDocument =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; annotations?: Record<string, string> }
  | { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> };

export function computeDigest(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH unless `bytes` hash to `expected`. */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const algorithm = expected.startsWith('sha512:') ? 'sha512' : 'sha256';
  const actual = computeDigest(bytes, algorithm);
  if (actual !== expected) {
    throw new RegistryError(
      'DIGEST_MISMATCH',
      `${what}: content does not match its digest (expected ${expected}, got ${actual}); refusing it — the registry, a proxy or the cache returned altered bytes`,
    );
  }
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function strings(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (o === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
  return out;
}

function parseJson(bytes: Uint8Array, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RegistryError('BAD_RESPONSE', `${what}: not valid JSON`);
  }
  const o = obj(v);
  if (o === undefined) throw new RegistryError('BAD_RESPONSE', `${what}: not a JSON object`);
  return o;
}

function platformOf(v: unknown): Platform | undefined {
  const o = obj(v);
  if (o === undefined || typeof o['os'] !== 'string' || typeof o['architecture'] !== 'string') return undefined;
  const p: Platform = { os: o['os'], architecture: o['architecture'] };
  if (typeof o['variant'] === 'string' && o['variant'] !== '') p.variant = o['variant'];
  return p;
}

function descriptor(v: unknown, what: string): Descriptor {
  const o = obj(v);
  if (o === undefined || typeof o['digest'] !== 'string' || typeof o['size'] !== 'number') {
    throw new RegistryError('BAD_RESPONSE', `${what}: malformed descriptor`);
  }
  const d: Descriptor = { mediaType: typeof o['mediaType'] === 'string' ? o['mediaType'] : '', digest: o['digest'], size: o['size'] };
  const platform = platformOf(o['platform']);
  if (platform !== undefined) d.platform = platform;
  const annotations = strings(o['annotations']);
  if (annotations !== undefined) d.annotations = annotations;
  return d;
}

/** `headerType` is the response's Content-Type; the document's own `mediaType` and shape decide otherwise. */
export function parseManifest(bytes: Uint8Array, headerType: string | undefined, what: string): ManifestDocument {
  const doc = parseJson(bytes, what);
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = headerType?.split(';')[0]?.trim();
  const mediaType =
    declared ?? (header !== undefined && (INDEX_TYPES.has(header) || MANIFEST_TYPES.has(header)) ? header : undefined) ??
    (Array.isArray(doc['manifests']) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
  if (doc['schemaVersion'] === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    throw new RegistryError('UNSUPPORTED', `${what}: Docker schema 1 manifests are not supported (deprecated); re-push the image`);
  }
  const annotations = strings(doc['annotations']);
  if (INDEX_TYPES.has(mediaType) || Array.isArray(doc['manifests'])) {
    const list = doc['manifests'];
    if (!Array.isArray(list)) throw new RegistryError('BAD_RESPONSE', `${what}: index without manifests`);
    const out: ManifestDocument = { kind: 'index', mediaType, manifests: list.map((m) => descriptor(m, what)) };
    if (annotations !== undefined) out.annotations = annotations;
    return out;
  }
  if (!MANIFEST_TYPES.has(mediaType) && obj(doc['config']) === undefined) {
    throw new RegistryError('UNSUPPORTED', `${what}: unsupported manifest type ${mediaType}`);
  }
  const layers = doc['layers'];
  const out: ManifestDocument = {
    kind: 'manifest',
    mediaType,
    config: descriptor(doc['config'], what),
    layers: Array.isArray(layers) ? layers.map((l) => descriptor(l, what)) : [],
  };
  if (annotations !== undefined) out.annotations = annotations;
  return out;
}

export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.[ATTESTATION_TYPE_ANNOTATION] === 'attestation-manifest';
}

export function layerFacts(doc: Extract<ManifestDocument, { kind: 'manifest' }>): LayerFact[] {
  return doc.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
}

/** Predicate types (SLSA provenance, SPDX, ...) named by an attestation manifest's layers. */
export function predicateTypes(doc: ManifestDocument): string[] {
  if (doc.kind !== 'manifest') return [];
  const types = doc.layers.map((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION]).filter((t): t is string => t !== undefined);
  return [...new Set(types)];
}

export interface ParsedConfig {
  fact: ImageConfigFact;
  platform?: Platform;
}

export function parseImageConfig(bytes: Uint8Array, digest: string, what: string): ParsedConfig {
  const doc = parseJson(bytes, what);
  const inner = obj(doc['config']) ?? {};
  const env = Array.isArray(inner['Env']) ? inner['Env'].filter((e): e is string => typeof e === 'string') : [];
  const history: HistoryEntry[] = [];
  if (Array.isArray(doc['history'])) {
    for (const h of doc['history']) {
      const o = obj(h);
      if (o === undefined) continue;
      const entry: HistoryEntry = { emptyLayer: o['empty_layer'] === true };
      if (typeof o['created'] === 'string') entry.created = o['created'];
      if (typeof o['created_by'] === 'string') entry.createdBy = o['created_by'];
      if (typeof o['comment'] === 'string') entry.comment = o['comment'];
      history.push(entry);
    }
  }
  const fact: ImageConfigFact = { digest, labels: strings(inner['Labels']) ?? {}, env, history };
  if (typeof doc['created'] === 'string') fact.created = doc['created'];
  if (typeof inner['User'] === 'string') fact.user = inner['User'];
  const out: ParsedConfig = { fact };
  const platform = platformOf(doc);
  if (platform !== undefined) out.platform = platform;
  return out;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant !== undefined ? `/${p.variant}` : ''}`;
}

/** `linux/arm64` matches `linux/arm64/v8`; `linux/arm/v7` needs the variant. */
export function platformMatches(p: Platform, wanted: string): boolean {
  const [os, arch, variant] = wanted.split('/');
  return p.os === os && p.architecture === arch && (variant === undefined || p.variant === variant);
}

/** Parses an RFC 8288 `Link` header and returns the `rel="next"` target, if any. */
export function nextLink(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m === null) continue;
    const params = m[2] ?? '';
    if (/;\s*rel\s*=\s*"?next"?/i.test(params)) return m[1];
  }
  return undefined;
}
