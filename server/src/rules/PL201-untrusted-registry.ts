import type { Rule } from '../core/rule.ts';
import { imageUses } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { globMatch } from '../core/glob.ts';

const WHERE = { from: 'Base image', 'copy-from': 'COPY --from image', 'mount-from': 'RUN --mount from image' } as const;

export const untrustedRegistry: Rule = {
  id: 'PL201',
  name: 'untrusted-registry',
  category: 'registry',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  hadolint: ['DL3026'],
  docs: {
    summary: 'An image pulled from a registry that the policy does not trust, in FROM, `COPY --from` or `RUN --mount=from`.',
    why: 'Content from an untrusted registry bypasses the organisation\'s mirroring, scanning and signing. `COPY --from=<image>` and `RUN --mount=from=<image>` pull images just like FROM does.',
    bad: 'FROM quay.example.org/tools/build:1.2.3\nCOPY --from=evil.io/bin:1 /x /x\n',
    good: 'FROM registry.acme.internal/tools/build:1.2.3\n',
    options: '`registries.trusted` (host globs). Without it every registry is trusted.',
  },
  check(ctx) {
    const trusted = ctx.policy.trustedRegistries;
    if (!trusted) return;
    for (const use of imageUses(ctx.model.images)) {
      const host = use.ref.registry;
      if (trusted.some((g) => globMatch(g, host, true))) continue;
      ctx.report({
        range: use.range,
        message: `${WHERE[use.kind]} ${familiarName(use.ref)} comes from ${host}, which is not a trusted registry (${trusted.join(', ')}).`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
