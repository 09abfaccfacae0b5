import type { Rule } from '../core/rule.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { baseManifests } from '../core/registryView.ts';
import { formatBytes } from '../core/units.ts';

export const baseLayerTooLarge: Rule = {
  id: 'PL511',
  name: 'base-layer-too-large',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'A base image with a single layer larger than the policy\'s layer budget.',
    why: 'One huge layer defeats layer caching and parallel pulls, and usually means an unsplit toolchain or a cache left in the image.',
    bad: 'FROM acme/ml-base:2.1.0   # one 3 GB layer\n',
    good: 'FROM acme/ml-base-slim:2.1.0\n',
    options: '`sizes.layer` (e.g. `500MB`); the same budget applies to layers of the built image (PL512).',
  },
  check(ctx) {
    const budget = ctx.policy.sizes.layer;
    if (budget === undefined) return;
    for (const { use, manifest: m } of baseManifests(ctx.model, ctx.facts)) {
      if (m.layers.length === 0) continue;
      const largest = m.layers.reduce((a, b) => (b.size > a.size ? b : a));
      if (largest.size <= budget) continue;
      const index = m.layers.indexOf(largest) + 1;
      const history = m.config?.history.filter((h) => !h.emptyLayer)[index - 1]?.createdBy;
      const made = history ? `, made by \`${history.replace(/\s+/g, ' ').slice(0, 80)}\`` : '';
      ctx.report({
        range: use.range,
        message: `Layer ${index} of ${m.layers.length} of ${familiarName(use.ref)} is ${formatBytes(largest.size)}, over the ${formatBytes(budget)} layer budget${made}.`,
        key: normalisedName(use.ref),
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
