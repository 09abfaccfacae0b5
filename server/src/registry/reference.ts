// Pure image-reference handling, following Docker's normalisation rules
// (distribution/reference ParseNormalizedNamed): `node` means `docker.io/library/node:latest`.
import { RegistryError } from './errors.ts';

export const DOCKER_HUB = 'docker.io';

export interface ImageReference {
  /** Registry name as users write it, lower-cased: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/node`, `acme/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SUPPORTED_DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function invalid(input: string, why: string): RegistryError {
  return new RegistryError('INVALID_REFERENCE', `invalid image reference "${input}": ${why}`);
}

/** Whether the first path component names a registry rather than a Docker Hub namespace. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

export function isSupportedDigest(digest: string): boolean {
  return SUPPORTED_DIGEST_RE.test(digest);
}

/**
 * Parses and normalises a reference. Without tag and digest the tag is `latest` (as `docker pull`),
 * unless `defaultTag` is false (repositories, for tag lists).
 */
export function parseReference(input: string, options: { defaultTag?: boolean } = {}): ImageReference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'empty');
  if (text.length > 4096) throw invalid(input.slice(0, 64) + '…', 'too long');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(input, `malformed digest "${digest}"`);
    if (!isSupportedDigest(digest)) throw invalid(input, `unsupported digest "${digest}" (sha256 or sha512, lower-case hex)`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `malformed tag "${tag}"`);
  }

  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash).toLowerCase();
    path = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) throw invalid(input, `malformed registry "${registry}"`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;

  if (path === '') throw invalid(input, 'no repository');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw invalid(input, `repository "${path}" must be lower-case letters, digits and separators`);
    }
  }
  if (registry.length + 1 + path.length > 255) throw invalid(input, 'name longer than 255 characters');

  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = 'latest';
  const ref: ImageReference = { registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
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
