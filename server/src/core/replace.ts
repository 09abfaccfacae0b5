// The replacement quick-fix for unapproved and denied images: the policy's mapped approved image, resolved
// to a real tag (and digest, when the registry answered). It never proposes an image the policy rejects.
import type { Fix } from './types.ts';
import type { ImageUse } from './model.ts';
import type { Policy } from './policy.ts';
import type { RegistryFacts } from './facts.ts';
import { parseImageRef, repositoryName, type ImageRef } from './imageRef.ts';
import { judgeImage, referenceEdit } from './images.ts';
import { familiarRepository, imageFacts, replacementTag, replacementTarget, repositoryFacts } from './registryView.ts';

export function replacementFix(use: ImageUse & { ref: ImageRef }, policy: Policy, facts: RegistryFacts | undefined): Fix | undefined {
  const target = replacementTarget(use.ref, policy);
  if (!target) return undefined;
  const tags = repositoryFacts(facts, repositoryName(target))?.tags;
  const tag = target.tag ?? (tags ? replacementTag(use.ref, target, tags, policy) : undefined);
  if (tag === undefined) return undefined;
  let text = `${familiarRepository(target)}:${tag}`;
  const digest = target.digest ?? imageFacts(facts, `${repositoryName(target)}:${tag}`)?.digest;
  if (digest) text += `@${digest}`;
  const parsed = parseImageRef(text);
  if (!parsed || judgeImage(parsed, policy).kind !== 'approved') return undefined;
  const edit = referenceEdit(use, text);
  if (!edit) return undefined;
  const shown = digest ? `${text.slice(0, text.indexOf('@'))}@${digest.slice(0, 19)}…` : text;
  return { title: `Replace with ${shown}`, applicability: 'unsafe', changes: [{ edits: [edit] }] };
}
