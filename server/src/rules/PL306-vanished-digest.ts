import type { Rule } from '../core/rule.ts';
import { imageUses } from '../core/images.ts';
import { familiarName, normalisedName, repositoryName } from '../core/imageRef.ts';

export const vanishedDigest: Rule = {
  id: 'PL306',
  name: 'vanished-digest',
  category: 'pinning',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'A pinned digest that the registry no longer has: the next build without a warm cache fails.',
    why: 'Registries garbage-collect untagged manifests. A pin to a deleted digest builds today only from a local cache and breaks on a clean CI runner.',
    bad: 'FROM registry.acme.internal/golden/node:20.11.1@sha256:<deleted digest>\n',
    good: 'FROM registry.acme.internal/golden/node:20.11.1@sha256:<existing digest>\n',
    fix: 'None: pick the digest deliberately (the pin quick-fix of PL304 after removing the dead digest, or PL305\'s update when the tag still exists).',
  },
  check(ctx) {
    const exists = ctx.facts?.digestExists;
    if (!exists) return;
    for (const use of imageUses(ctx.model.images)) {
      const d = use.ref.digest;
      if (d === undefined || exists.get(`${repositoryName(use.ref)}@${d}`) !== false) continue;
      ctx.report({
        range: use.range,
        message: `The registry no longer has ${d.slice(0, 19)}… in ${familiarName({ registry: use.ref.registry, repository: use.ref.repository, original: '' })}; builds without a cached copy will fail.`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
