import type { Rule } from '../core/rule.ts';
import { imageUses, pinLevelFor } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';

export const untaggedImage: Rule = {
  id: 'PL301',
  name: 'untagged-image',
  category: 'pinning',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  hadolint: ['DL3006'],
  docs: {
    summary: 'An image with neither a tag nor a digest, so Docker pulls whatever `latest` is today.',
    why: 'An untagged image changes under you: two builds of the same commit can get different bases, and a rebuild can break or regress silently.',
    bad: 'FROM node\n',
    good: 'FROM node:20.11.1-alpine\n',
    options: '`pinning.level` (`none` turns it off), `pinning.scope`, `pinning.stages`.',
    fix: 'None offline; the registry-backed fix pins the current digest.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      if (use.ref.tag !== undefined || use.ref.digest !== undefined) continue;
      if (pinLevelFor(use.stage, ctx.policy) === 'none') continue;
      ctx.report({
        range: use.range,
        message: `Image ${familiarName(use.ref)} has no tag, so every build pulls whatever latest is then.`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
