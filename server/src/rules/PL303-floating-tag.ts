import type { Rule } from '../core/rule.ts';
import type { TagPrecision } from '../core/policy.ts';
import { imageUses, pinLevelFor } from '../core/images.ts';
import { familiarName, normalisedName, splitTag } from '../core/imageRef.ts';

const NEEDED: Record<TagPrecision, number> = { any: 0, major: 1, minor: 2, patch: 3 };

export const floatingTag: Rule = {
  id: 'PL303',
  name: 'floating-tag',
  category: 'pinning',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'A version tag less exact than the policy requires (`node:20` when patch versions are required), or a tag with no version at all (`debian:bookworm`, `node:lts`).',
    why: 'Floating tags are re-pointed on every upstream release. The policy decides how much drift is acceptable: a major-version tag picks up minor releases, a codename tag picks up everything.',
    bad: 'FROM node:20-alpine\n',
    good: 'FROM node:20.11.1-alpine\n',
    options: '`pinning.precision`: `any` (off, the default), `major`, `minor` or `patch`.',
    fix: 'None offline; the registry-backed fix bumps to the newest allowed exact tag.',
  },
  check(ctx) {
    const needed = NEEDED[ctx.policy.pinning.precision];
    if (needed === 0) return;
    for (const use of imageUses(ctx.model.images)) {
      const tag = use.ref.tag;
      if (tag === undefined || tag === 'latest' || use.ref.digest !== undefined) continue;
      if (pinLevelFor(use.stage, ctx.policy) === 'none') continue;
      const parts = splitTag(tag);
      if (parts.version && parts.components >= needed) continue;
      const what = parts.version ? `only pins version ${parts.version}` : 'has no version number';
      ctx.report({
        range: use.range,
        message: `Tag ${tag} of ${familiarName({ registry: use.ref.registry, repository: use.ref.repository, original: '' })} ${what}; the policy requires ${ctx.policy.pinning.precision} precision.`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
