// Judging an image reference against the policy's allow and deny lists, and editing where a reference lives.
import { semver } from './semver.ts';
import type { ImageMatcher, DeniedImage, Policy, PinLevel } from './policy.ts';
import type { ImageUse, Stage } from './model.ts';
import type { TextEdit } from './types.ts';
import { repositoryName, splitTag, effectiveTag, type ImageRef } from './imageRef.ts';
import { globMatch } from './glob.ts';

export interface MatchResult {
  matched: boolean;
  /** Why a matcher whose image glob matched still did not match (tag, semver or variant). */
  near?: string;
}

export function matchImage(m: ImageMatcher, ref: ImageRef): MatchResult {
  if (!globMatch(m.image, repositoryName(ref))) return { matched: false };
  const tag = ref.tag;
  if (m.tags && m.tags.length > 0) {
    if (tag === undefined) return { matched: false, near: `tag must match ${m.tags.join(', ')}` };
    if (!m.tags.some((t) => globMatch(t, tag))) return { matched: false, near: `tag ${tag} is not one of ${m.tags.join(', ')}` };
  }
  const parts = splitTag(tag ?? (ref.digest ? '' : 'latest'));
  if (m.semver) {
    if (!parts.version) return { matched: false, near: `tag ${tag ?? '(none)'} has no version to check against ${m.semver}` };
    if (!versionSatisfies(parts.version, parts.components, m.semver)) return { matched: false, near: `version ${parts.version} is outside ${m.semver}` };
  }
  if (m.variants && m.variants.length > 0) {
    if (tag === undefined) return { matched: false, near: 'no tag, so the variant is unknown' };
    const family = parts.version ? parts.variantFamily : '';
    if (!m.variants.some((v) => v === family || (v !== '' && parts.variant.startsWith(v)))) {
      return { matched: false, near: `variant ${family || '(none)'} is not one of ${m.variants.map((v) => v || '(none)').join(', ')}` };
    }
  }
  return { matched: true };
}

/** A partial version (`20`, `20.11`) floats, so it is judged as the range it can resolve to. */
function versionSatisfies(version: string, components: number, range: string): boolean {
  const nums = version.split('.').slice(0, 3);
  if (components >= 3) {
    const v = semver().coerce(nums.join('.'));
    return v !== null && semver().satisfies(v, range, { includePrerelease: false });
  }
  const partial = `${nums.join('.')}.x`;
  try {
    return semver().intersects(partial, range);
  } catch {
    return false;
  }
}

export type Verdict =
  | { kind: 'denied'; rule: DeniedImage }
  | { kind: 'unapproved'; near: string[] }
  | { kind: 'approved'; rule?: ImageMatcher };

export function judgeImage(ref: ImageRef, policy: Policy): Verdict {
  for (const d of policy.deniedImages) if (matchImage(d, ref).matched) return { kind: 'denied', rule: d };
  if (!policy.allowedImages) return { kind: 'approved' };
  const near: string[] = [];
  for (const a of policy.allowedImages) {
    const r = matchImage(a, ref);
    if (r.matched) return { kind: 'approved', rule: a };
    if (r.near) near.push(r.near);
  }
  return { kind: 'unapproved', near };
}

/** The pin level a stage is held to. Images used by COPY --from / --mount=from follow their stage. */
export function pinLevelFor(stage: Stage | undefined, policy: Policy): PinLevel {
  const p = policy.pinning;
  if (stage?.name && p.stages[stage.name] !== undefined) return p.stages[stage.name]!;
  if (p.scope === 'final' && !stage?.isFinal) return p.level === 'none' ? 'none' : 'tag';
  return p.level;
}

/** Uses that name a real image (not a stage, `scratch`, or something still unresolved). */
export function imageUses(uses: readonly ImageUse[]): Array<ImageUse & { ref: ImageRef }> {
  return uses.filter((u): u is ImageUse & { ref: ImageRef } => u.ref !== undefined && !u.stageRef && !u.scratch);
}

/**
 * An edit that makes a use refer to `newText`: the ARG default when the reference is one ARG written in
 * this file, the reference itself when it has no variables; otherwise undefined (no safe place to edit).
 */
export function referenceEdit(use: ImageUse, newText: string): TextEdit | undefined {
  if (use.argSource) return { range: use.argSource.valueRange, newText };
  if (use.written.includes('$')) return undefined;
  return { range: use.range, newText };
}

export function describeTag(ref: ImageRef): string {
  return ref.tag === undefined && ref.digest === undefined ? 'no tag (Docker pulls latest)' : `tag ${effectiveTag(ref)}`;
}
