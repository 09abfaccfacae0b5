import type { Rule } from '../core/rule.ts';
import { imageUses, pinLevelFor } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';

export const latestTag: Rule = {
  id: 'PL302',
  name: 'latest-tag',
  category: 'pinning',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  hadolint: ['DL3007'],
  docs: {
    summary: 'An image pinned to the `latest` tag without a digest.',
    why: '`latest` moves with every release, so builds are not reproducible and a major version bump can arrive unannounced.',
    bad: 'FROM alpine:latest\n',
    good: 'FROM alpine:3.20.3\n',
    options: '`pinning.level` (`none` turns it off), `pinning.scope`, `pinning.stages`.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      if (use.ref.tag !== 'latest' || use.ref.digest !== undefined) continue;
      if (pinLevelFor(use.stage, ctx.policy) === 'none') continue;
      ctx.report({
        range: use.range,
        message: `Image ${familiarName(use.ref)} uses the latest tag, which changes with every release.`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
