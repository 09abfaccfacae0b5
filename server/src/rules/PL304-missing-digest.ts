import type { Rule } from '../core/rule.ts';
import { imageUses, pinLevelFor } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { pinEdit } from '../core/pin.ts';

export const missingDigest: Rule = {
  id: 'PL304',
  name: 'missing-digest',
  category: 'pinning',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'safe',
  docs: {
    summary: 'An image without a `@sha256:` digest where the policy requires digest pinning.',
    why: 'Tags are mutable: a registry can serve different bytes under the same tag tomorrow. Only a digest guarantees the exact image that was reviewed and scanned.',
    bad: 'FROM node:20.11.1-alpine\n',
    good: 'FROM node:20.11.1-alpine@sha256:<digest>\n',
    options: '`pinning.level: digest`, with `pinning.scope: final` to require it only of the shipped stage, or `pinning.stages` per stage.',
    fix: 'With registry facts: appends the digest the tag resolves to now (the index digest for multi-platform images; one platform\'s with `pinning.platformDigests` and a constant `--platform`), keeping tag, `--platform` and `AS`; an image from an ARG is pinned in the ARG default. Safe: the build gets the very image it gets today.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      if (use.ref.digest !== undefined) continue;
      if (pinLevelFor(use.stage, ctx.policy) !== 'digest') continue;
      const pin = pinEdit(use, ctx.facts, ctx.policy);
      ctx.report({
        range: use.range,
        message: `Image ${familiarName(use.ref)} is not pinned by digest, which the policy requires here.`,
        fixes: pin ? [{ title: `Pin to ${pin.digest.slice(0, 19)}…${pin.platformSpecific ? ' (platform manifest)' : ''}`, applicability: 'safe', changes: [{ edits: [pin.edit] }] }] : [],
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
