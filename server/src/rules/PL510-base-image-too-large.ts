import type { Rule } from '../core/rule.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { baseManifests } from '../core/registryView.ts';
import { formatBytes } from '../core/units.ts';

export const baseImageTooLarge: Rule = {
  id: 'PL510',
  name: 'base-image-too-large',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'A base image whose compressed size (for the platform being built) is over the policy\'s budget.',
    why: 'The base image is pulled by every build and every node that runs the container, and everything in it is attack surface. Slim, distroless or alpine variants are often a fraction of the size.',
    bad: 'FROM node:20.11.1        # about 400 MB compressed\n',
    good: 'FROM node:20.11.1-alpine # about 45 MB compressed\n',
    options: '`sizes.baseImage` (e.g. `200MB`).',
  },
  check(ctx) {
    const budget = ctx.policy.sizes.baseImage;
    if (budget === undefined) return;
    for (const { use, manifest: m } of baseManifests(ctx.model, ctx.facts)) {
      if (m.totalSize <= budget) continue;
      const platform = m.platform ? ` (${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''})` : '';
      ctx.report({
        range: use.range,
        message: `Base image ${familiarName(use.ref)}${platform} is ${formatBytes(m.totalSize)} compressed, over the ${formatBytes(budget)} budget.`,
        key: normalisedName(use.ref),
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
