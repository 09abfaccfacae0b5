// Merging a policy with one that extends it. Pure; the arguments are not modified.
//
// Semantics (child = `override`, the more specific file):
// - images.allow: unioned. A child adds approved images to its parent's allowlist; when neither
//   declares one there is no allowlist. (A child can not remove its parent's allowlist.)
// - images.deny, waivers: concatenated, parent first. A child can not lift a parent's deny entry;
//   it can only waive findings, and waivers name a reason and an owner for review.
// - images.replacements, builds: concatenated, child first. The first entry that matches is used,
//   so a child's mapping wins over its parent's for the same image or Dockerfile.
// - secrets.patterns: concatenated; a child pattern with the same id replaces the parent's.
// - secrets.allowedNames, secrets.sensitiveFiles: unioned.
// - registries.trusted: the child's list replaces the parent's, only when the child gives one.
// - pinning.level/scope/precision/platformDigests/bump, sizes.*, suppression.inline: the child
//   wins where it sets them.
// - pinning.stages, rules: per stage name / rule id, the child wins.
// - files: parent's then child's (most general first); sources: the child wins per key.
// - locked: unioned; the parent's entry wins. Enforcing locks is locks.ts's job, before merging.
import type { Policy } from '../core/policy.ts';
import type { PolicyOverlay } from './types.ts';

const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];

export function mergePolicies(base: Policy, override: PolicyOverlay): Policy {
  const out: Policy = {
    ...base,
    deniedImages: [...base.deniedImages, ...(override.deniedImages ?? [])],
    pinning: { ...base.pinning, ...override.pinning, stages: { ...base.pinning.stages, ...override.pinning?.stages } },
    sizes: { ...base.sizes, ...override.sizes },
    secrets: {
      patterns: mergePatterns(base.secrets.patterns, override.secrets?.patterns ?? []),
      allowedNames: union(base.secrets.allowedNames, override.secrets?.allowedNames ?? []),
      sensitiveFiles: union(base.secrets.sensitiveFiles, override.secrets?.sensitiveFiles ?? []),
    },
    rules: { ...base.rules },
    waivers: [...base.waivers, ...(override.waivers ?? [])],
    allowInlineSuppression: override.allowInlineSuppression ?? base.allowInlineSuppression,
    files: union(base.files, override.files ?? []),
  };
  for (const [id, setting] of Object.entries(override.rules ?? {})) out.rules[id] = { ...base.rules[id], ...setting };
  if (base.allowedImages !== undefined || override.allowedImages !== undefined) {
    out.allowedImages = [...(base.allowedImages ?? []), ...(override.allowedImages ?? [])];
  }
  // Absent stays absent, so that merging nothing onto the default policy adds no keys.
  if (base.replacements !== undefined || override.replacements !== undefined) {
    out.replacements = [...(override.replacements ?? []), ...(base.replacements ?? [])];
  }
  if (base.builds !== undefined || override.builds !== undefined) {
    out.builds = [...(override.builds ?? []), ...(base.builds ?? [])];
  }
  if (override.trustedRegistries !== undefined) out.trustedRegistries = [...override.trustedRegistries];
  else if (base.trustedRegistries !== undefined) out.trustedRegistries = [...base.trustedRegistries];
  if (base.sources !== undefined || override.sources !== undefined) out.sources = { ...base.sources, ...override.sources };
  // The first file to lock a setting keeps the credit; a later file can add locks but never lift one.
  if (base.locked !== undefined || override.locked !== undefined) out.locked = { ...override.locked, ...base.locked };
  return out;
}

function mergePatterns<T extends { id: string }>(base: readonly T[], override: readonly T[]): T[] {
  const replaced = new Set(override.map((p) => p.id));
  return [...base.filter((p) => !replaced.has(p.id)), ...override];
}
