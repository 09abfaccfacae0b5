// Pure image-reference handling, following Docker's normalisation rules
// (distribution/reference ParseNormalizedNamed): `node` means `docker.io/library/node:latest`.
import { RegistryError } from './errors.ts';
import { parseImageRef } from '../core/imageRef.ts';

export const DOCKER_HUB = 'docker.io';

export interface ImageReference {
  /** Registry name as users write it, lower-cased: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/node`, `acme/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const SUPPORTED_DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function invalid(input: string, why: string): RegistryError {
  return new RegistryError('INVALID_REFERENCE', `invalid image reference "${input}": ${why}`);
}

export function isSupportedDigest(digest: string): boolean {
  return SUPPORTED_DIGEST_RE.test(digest);
}

/**
 * Parses and normalises a reference with the engine's own parser (core/imageRef.ts), so that facts keys
 * agree with what the engine asks for. Without tag and digest the tag is `latest` (as `docker pull`),
 * unless `defaultTag` is false (repositories, for tag lists).
 */
export function parseReference(input: string, options: { defaultTag?: boolean } = {}): ImageReference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'empty');
  if (text.length > 4096) throw invalid(input.slice(0, 64) + '…', 'too long');
  const parsed = parseImageRef(text);
  if (!parsed) throw invalid(input, 'expected [registry/]repository[:tag][@digest] with a lower-case repository');
  if (parsed.digest !== undefined && !isSupportedDigest(parsed.digest)) {
    throw invalid(input, `unsupported digest "${parsed.digest}" (sha256 or sha512, lower-case hex)`);
  }
  if (parsed.registry.length + 1 + parsed.repository.length > 255) throw invalid(input, 'name longer than 255 characters');
  const ref: ImageReference = { registry: parsed.registry, repository: parsed.repository };
  const tag = parsed.tag ?? (parsed.digest === undefined && options.defaultTag !== false ? 'latest' : undefined);
  if (tag !== undefined) ref.tag = tag;
  if (parsed.digest !== undefined) ref.digest = parsed.digest;
  return ref;
}

/** `registry/repository` */
export function repositoryName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** `registry/repository[:tag][@digest]`, the key used in `RegistryFacts.images`. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** A repository name (`node`, `ghcr.io/acme/app`); a tag or digest, if given, is ignored. */
export function parseRepository(input: string): { registry: string; repository: string } {
  const ref = parseReference(input, { defaultTag: false });
  return { registry: ref.registry, repository: ref.repository };
}

export function normalizeRepository(input: string): string {
  return repositoryName(parseRepository(input));
}
