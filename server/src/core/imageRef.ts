// Image references, normalised the way Docker does it (distribution/reference's ParseNormalizedNamed).

export interface ImageRef {
  /** Registry host, `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, `library/node` for official images. */
  repository: string;
  /** The tag as written; `undefined` when none was written (Docker then uses `latest`). */
  tag?: string;
  digest?: string;
  /** The text as written (after ARG substitution). */
  original: string;
}

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

export function isRegistryHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first);
}

/**
 * Parses `[registry/]repo[:tag][@digest]`. Returns undefined for text that is not a valid reference
 * (an unresolved `$VAR`, upper-case repository, empty parts).
 */
export function parseImageRef(text: string): ImageRef | undefined {
  const original = text;
  if (!text || /\s/.test(text) || text.includes('$')) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && isRegistryHost(parts[0]!)) {
    // Host names are case-insensitive; one spelling keeps facts keys and cache entries in agreement.
    registry = parts.shift()!.toLowerCase();
    if (!HOST_RE.test(registry)) return undefined;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT_RE.test(p))) return undefined;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const ref: ImageRef = { registry, repository: parts.join('/'), original };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `docker.io/library/node` */
export function repositoryName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The tag Docker pulls: the written one, else `latest` (even with a digest the tag is informative only). */
export function effectiveTag(ref: ImageRef): string {
  return ref.tag ?? 'latest';
}

/** Fully normalised: `docker.io/library/node:20@sha256:...`; the digest wins over the tag when pulling. */
export function normalisedName(ref: ImageRef): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined || ref.digest === undefined) s += `:${effectiveTag(ref)}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Docker's short form for messages: `node:20`, `ghcr.io/acme/app:1`. */
export function familiarName(ref: ImageRef): string {
  let name = ref.repository;
  if (ref.registry === 'docker.io' && name.startsWith('library/')) name = name.slice('library/'.length);
  else if (ref.registry !== 'docker.io') name = `${ref.registry}/${name}`;
  if (ref.tag !== undefined) name += `:${ref.tag}`;
  if (ref.digest !== undefined) name += `@${ref.digest.slice(0, 19)}…`;
  return name;
}

/**
 * Normalises a repository pattern written in a policy (`node`, `acme/*`, `ghcr.io/acme/**`) to the
 * same `registry/repository` form, keeping glob characters.
 */
export function normaliseRepositoryPattern(pattern: string): string {
  const parts = pattern.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (isRegistryHost(first) || first.includes('*'))) {
    if (first === 'index.docker.io') parts[0] = 'docker.io';
    return parts.join('/');
  }
  if (parts.length === 1) return `docker.io/library/${pattern}`;
  return `docker.io/${pattern}`;
}

export interface TagVersion {
  /** The version part, e.g. `20.11.1` of `20.11.1-alpine3.19`, or `undefined` when the tag has none. */
  version?: string;
  /** How many numeric components the version has (1 for `20`, 3 for `20.11.1`). */
  components: number;
  /** The variant after the version, `alpine3.19`, or `''`. */
  variant: string;
  /** The variant family without its own version: `alpine` of `alpine3.19`. */
  variantFamily: string;
}

/** Splits `20.11.1-alpine3.19` into version and variant; `v1.2` and `1.2.3_ubuntu` work too. */
export function splitTag(tag: string): TagVersion {
  const m = /^v?(\d+(?:\.\d+){0,3})(?:[-_.+](.*))?$/.exec(tag);
  if (!m) return { components: 0, variant: tag, variantFamily: tag.replace(/[\d.]+$/, '') };
  const variant = m[2] ?? '';
  return {
    version: m[1]!,
    components: m[1]!.split('.').length,
    variant,
    variantFamily: variant.replace(/[\d.]+$/, '').replace(/-$/, ''),
  };
}
