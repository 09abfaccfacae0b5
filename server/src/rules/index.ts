// The rule registry: every rule ever shipped, by permanent id. Retired rules stay here as `deprecated`.
import type { Rule } from '../core/rule.ts';
import { unapprovedBaseImage } from './PL101-unapproved-base-image.ts';
import { deniedBaseImage } from './PL102-denied-base-image.ts';
import { untrustedRegistry } from './PL201-untrusted-registry.ts';
import { untaggedImage } from './PL301-untagged-image.ts';
import { latestTag } from './PL302-latest-tag.ts';
import { floatingTag } from './PL303-floating-tag.ts';
import { missingDigest } from './PL304-missing-digest.ts';
import { staleDigest } from './PL305-stale-digest.ts';
import { vanishedDigest } from './PL306-vanished-digest.ts';
import { newerPatchAvailable } from './PL307-newer-patch-available.ts';
import { baseImageTooLarge } from './PL510-base-image-too-large.ts';
import { baseLayerTooLarge } from './PL511-base-layer-too-large.ts';
import { builtLayerTooLarge } from './PL512-built-layer-too-large.ts';
import { buildHistoryMismatch } from './PL513-build-history-mismatch.ts';
import { baseImageSecret } from './PL405-base-image-secret.ts';
import { secretRules } from './secretRules.ts';
import { sizeRules } from './sizeRules.ts';
import { expiredWaiver } from './PL901-expired-waiver.ts';
import { inlineSuppressionForbidden } from './PL902-inline-suppression-forbidden.ts';
import { unresolvedImage } from './PL903-unresolved-image.ts';
import { lineTooLong } from './PL904-line-too-long.ts';

export const allRules: readonly Rule[] = [
  unapprovedBaseImage,
  deniedBaseImage,
  untrustedRegistry,
  untaggedImage,
  latestTag,
  floatingTag,
  missingDigest,
  staleDigest,
  vanishedDigest,
  newerPatchAvailable,
  ...secretRules,
  baseImageSecret,
  ...sizeRules,
  baseImageTooLarge,
  baseLayerTooLarge,
  builtLayerTooLarge,
  buildHistoryMismatch,
  expiredWaiver,
  inlineSuppressionForbidden,
  unresolvedImage,
  lineTooLong,
];

export const rulesById: ReadonlyMap<string, Rule> = new Map(allRules.map((r) => [r.id, r]));

/** hadolint code -> our rule ids, for `# hadolint ignore=` pragmas. */
export const hadolintMap: Map<string, string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const r of allRules) for (const code of r.hadolint ?? []) m.set(code, [...(m.get(code) ?? []), r.id]);
  return m;
})();

export const RULE_DOCS_BASE = 'https://github.com/plimsoll-dev/plimsoll/blob/main/docs/rules';

export function ruleDocsUrl(id: string): string {
  const r = rulesById.get(id);
  return r ? `${RULE_DOCS_BASE}/${r.id}-${r.name}.md` : RULE_DOCS_BASE;
}
