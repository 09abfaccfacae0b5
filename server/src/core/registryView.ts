// Reading injected registry facts from the engine's side: which facts an image use needs, which manifest
// applies to its platform, and which references the engine would like the faces to resolve.
import { semver, type SemVer } from './semver.ts';
import type { ImageFacts, ManifestFact, RegistryFacts, RepositoryFacts } from './facts.ts';
import type { DockerfileModel, ImageUse } from './model.ts';
import type { Policy } from './policy.ts';
import { normalisedName, repositoryName, splitTag, type ImageRef, parseImageRef } from './imageRef.ts';
import { imageUses, judgeImage } from './images.ts';
import { globMatch } from './glob.ts';

/** The facts key of a reference: what the faces ask the registry for. */
export function factsKey(ref: ImageRef): string {
  return normalisedName(ref);
}

/** The same reference without its digest: what the tag points at now. */
export function tagKey(ref: ImageRef): string {
  return `${repositoryName(ref)}:${ref.tag ?? 'latest'}`;
}

export function imageFacts(facts: RegistryFacts | undefined, key: string): ImageFacts | undefined {
  const f = facts?.images.get(key);
  return f && !f.error ? f : undefined;
}

export function repositoryFacts(facts: RegistryFacts | undefined, repository: string): RepositoryFacts | undefined {
  const r = facts?.repositories.get(repository);
  return r && !r.error ? r : undefined;
}

const DEFAULT_PLATFORM = { os: 'linux', architecture: 'amd64' };

/** A `--platform` value that is one constant platform (not `$BUILDPLATFORM` or a list). */
export function constantPlatform(use: ImageUse): { os: string; architecture: string; variant?: string } | undefined {
  const p = use.platform;
  if (!p || p.includes('$') || p.includes(',')) return undefined;
  const [os, architecture, variant] = p.split('/');
  if (!os || !architecture) return undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The manifest that a use pulls: its constant platform, else linux/amd64, else the first one. */
export function manifestFor(use: ImageUse, f: ImageFacts): ManifestFact | undefined {
  const want = constantPlatform(use) ?? DEFAULT_PLATFORM;
  const real = f.manifests.filter((m) => !m.platform || m.platform.os !== 'unknown');
  return (
    real.find((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture && (!('variant' in want) || m.platform.variant === want.variant)) ??
    real.find((m) => !m.platform) ??
    real[0]
  );
}

/** Each FROM image with the manifest it pulls, where the registry facts know it (size rules, PL405). */
export function baseManifests(model: DockerfileModel, facts: RegistryFacts | undefined): Array<{ use: ImageUse & { ref: ImageRef }; facts: ImageFacts; manifest: ManifestFact }> {
  const out: Array<{ use: ImageUse & { ref: ImageRef }; facts: ImageFacts; manifest: ManifestFact }> = [];
  for (const use of imageUses(model.images)) {
    if (use.kind !== 'from') continue;
    const f = imageFacts(facts, factsKey(use.ref));
    const m = f ? manifestFor(use, f) : undefined;
    if (f && m) out.push({ use, facts: f, manifest: m });
  }
  return out;
}

export interface NewerTag {
  tag: string;
  version: string;
}

/**
 * The newest tag of the same repository and variant that the policy allows, within the same minor
 * (`bump: patch`) or major (`bump: minor`), and newer than the current one. Never a tag the policy rejects.
 */
export function newestAllowedTag(ref: ImageRef, tags: readonly string[], policy: Policy): NewerTag | undefined {
  if (ref.tag === undefined) return undefined;
  const current = splitTag(ref.tag);
  if (!current.version || current.components < 3) return undefined;
  const cur = semver().coerce(current.version);
  if (!cur) return undefined;
  const bump = policy.pinning.bump ?? 'patch';
  let best: NewerTag | undefined;
  let bestV: SemVer | undefined;
  for (const tag of tags) {
    const parts = splitTag(tag);
    if (!parts.version || parts.components !== current.components || parts.variant !== current.variant) continue;
    const v = semver().coerce(parts.version);
    if (!v || !semver().gt(v, cur)) continue;
    if (v.major !== cur.major || (bump === 'patch' && v.minor !== cur.minor)) continue;
    if (parts.version.split('.').length > 3) continue;
    const candidate: ImageRef = { registry: ref.registry, repository: ref.repository, tag, original: '' };
    if (judgeImage(candidate, policy).kind !== 'approved') continue;
    if (!bestV || semver().gt(v, bestV)) {
      best = { tag, version: parts.version };
      bestV = v;
    }
  }
  return best;
}

/** The approved repository an unapproved image maps to, from `replacements` or the deny entry's `replacement`. */
export function replacementTarget(ref: ImageRef, policy: Policy): ImageRef | undefined {
  const verdict = judgeImage(ref, policy);
  let text: string | undefined;
  if (verdict.kind === 'denied') text = verdict.rule.replacement;
  if (!text) text = policy.replacements?.find((r) => globMatch(r.from, repositoryName(ref)))?.to;
  return text ? parseImageRef(text) : undefined;
}

/**
 * A tag of the replacement repository for `ref`: the same tag when the replacement has it and the policy
 * allows it, else the newest allowed tag with the same variant and major, else the newest allowed tag.
 */
export function replacementTag(ref: ImageRef, target: ImageRef, tags: readonly string[], policy: Policy): string | undefined {
  if (target.tag !== undefined) return target.tag;
  const allowed = tags.filter((t) => judgeImage({ ...target, tag: t, original: '' }, policy).kind === 'approved');
  if (ref.tag !== undefined && allowed.includes(ref.tag)) return ref.tag;
  const cur = ref.tag !== undefined ? splitTag(ref.tag) : undefined;
  const versioned = allowed
    .map((t) => ({ t, p: splitTag(t), v: semver().coerce(splitTag(t).version ?? '') }))
    .filter((x): x is { t: string; p: ReturnType<typeof splitTag>; v: SemVer } => x.v !== null && x.p.version !== undefined)
    .sort((a, b) => semver().rcompare(a.v, b.v));
  const sameMajor = cur?.version ? versioned.find((x) => x.p.variantFamily === cur.variantFamily && x.v.major === semver().coerce(cur.version!)?.major) : undefined;
  return (sameMajor ?? versioned.find((x) => x.p.variantFamily === (cur?.variantFamily ?? '')) ?? versioned[0])?.t;
}

export interface FactsRequest {
  /** References to resolve (digest, manifests, configs). */
  images: Set<string>;
  /** Repositories whose tags to list. */
  repositories: Set<string>;
}

/**
 * What the engine would like to know about this file. Faces call it, resolve, and call it again with the
 * facts so far (a second round asks for the tags that a bump or a replacement would move to).
 */
export function factsWanted(model: DockerfileModel, policy: Policy, facts?: RegistryFacts, builtImage?: string): FactsRequest {
  const req: FactsRequest = { images: new Set(), repositories: new Set() };
  for (const use of imageUses(model.images)) {
    const ref = use.ref;
    req.images.add(factsKey(ref));
    if (ref.digest !== undefined) req.images.add(tagKey(ref));
    req.repositories.add(repositoryName(ref));
    const target = replacementTarget(ref, policy);
    if (target) {
      req.repositories.add(repositoryName(target));
      const tags = repositoryFacts(facts, repositoryName(target))?.tags;
      const tag = tags ? replacementTag(ref, target, tags, policy) : target.tag;
      if (tag !== undefined) req.images.add(`${repositoryName(target)}:${tag}`);
    }
    const tags = repositoryFacts(facts, repositoryName(ref))?.tags;
    const newer = tags ? newestAllowedTag(ref, tags, policy) : undefined;
    if (newer) req.images.add(`${repositoryName(ref)}:${newer.tag}`);
  }
  if (builtImage) req.images.add(builtImage);
  return req;
}

/** `docker.io/library/node` -> `node`, as people write it. */
export function familiarRepository(ref: ImageRef): string {
  if (ref.registry === 'docker.io') return ref.repository.replace(/^library\//, '');
  return `${ref.registry}/${ref.repository}`;
}
