import type { Rule } from '../core/rule.ts';
import { imageUses, pinLevelFor } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';

export const missingDigest: Rule = {
  id: 'PL304',
  name: 'missing-digest',
  category: 'pinning',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'An image without a `@sha256:` digest where the policy requires digest pinning.',
    why: 'Tags are mutable: a registry can serve different bytes under the same tag tomorrow. Only a digest guarantees the exact image that was reviewed and scanned.',
    bad: 'FROM node:20.11.1-alpine\n',
    good: 'FROM node:20.11.1-alpine@sha256:<digest>\n',
    options: '`pinning.level: digest`, with `pinning.scope: final` to require it only of the shipped stage, or `pinning.stages` per stage.',
    fix: 'None offline; the registry-backed quick-fix pins the index digest, keeping tag, `--platform` and `AS`.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      if (use.ref.digest !== undefined) continue;
      if (pinLevelFor(use.stage, ctx.policy) !== 'digest') continue;
      ctx.report({
        range: use.range,
        message: `Image ${familiarName(use.ref)} is not pinned by digest, which the policy requires here.`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
