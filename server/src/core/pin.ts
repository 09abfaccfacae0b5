// Digest pinning: the edit that turns `node:20.11.1-alpine` into `node:20.11.1-alpine@sha256:<index digest>`,
// keeping the tag, `--platform` and `AS` (only the reference's own text, or its ARG default, is edited).
import type { ImageUse } from './model.ts';
import type { Policy } from './policy.ts';
import type { RegistryFacts } from './facts.ts';
import type { TextEdit } from './types.ts';
import type { ImageRef } from './imageRef.ts';
import { constantPlatform, imageFacts, manifestFor, tagKey } from './registryView.ts';

export interface Pin {
  digest: string;
  /** True when the digest is one platform's manifest rather than the index. */
  platformSpecific: boolean;
  edit: TextEdit;
}

/** The digest a use should be pinned to now, from the facts about its tag. */
export function currentDigest(use: ImageUse & { ref: ImageRef }, facts: RegistryFacts | undefined, policy: Policy): { digest: string; platformSpecific: boolean } | undefined {
  const f = imageFacts(facts, tagKey(use.ref));
  if (!f?.digest) return undefined;
  if (policy.pinning.platformDigests && constantPlatform(use) && f.manifests.length > 1) {
    const m = manifestFor(use, f);
    if (m) return { digest: m.digest, platformSpecific: true };
  }
  return { digest: f.digest, platformSpecific: false };
}

/** Replaces (or adds) the digest of a reference's text. */
export function withDigest(text: string, digest: string): string {
  const at = text.indexOf('@');
  return `${at >= 0 ? text.slice(0, at) : text}@${digest}`;
}

export function pinEdit(use: ImageUse & { ref: ImageRef }, facts: RegistryFacts | undefined, policy: Policy): Pin | undefined {
  const d = currentDigest(use, facts, policy);
  if (!d) return undefined;
  let edit: TextEdit | undefined;
  if (use.argSource) {
    const raw = use.argSource.value;
    // A default that itself uses variables would pin whatever they expand to today: edit only literals.
    if (raw.includes('$')) return undefined;
    edit = { range: use.argSource.valueRange, newText: withDigest(stripQuotes(raw), d.digest) };
  } else if (!use.written.includes('$')) {
    edit = { range: use.range, newText: withDigest(use.written, d.digest) };
  }
  return edit ? { ...d, edit } : undefined;
}

function stripQuotes(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}
