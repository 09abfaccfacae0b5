import type { Rule } from '../core/rule.ts';
import { imageUses, judgeImage } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { replacementFix } from '../core/replace.ts';

export const unapprovedBaseImage: Rule = {
  id: 'PL101',
  name: 'unapproved-base-image',
  category: 'base-image',
  severity: 'error',
  status: 'stable',
  fixSafety: 'unsafe',
  docs: {
    summary: 'A base image that the policy allowlist does not approve.',
    why: 'A platform team approves a small set of golden base images so that patching, scanning and support cover everything that ships. An image outside the list escapes all of that.',
    bad: 'FROM python:3.12\n',
    good: 'FROM registry.acme.internal/golden/python:3.12.4\n',
    options: '`images.allow` (image globs, `tags`, `semver`, `variants`); `images.replacements` maps unapproved images to approved ones. Without an allowlist the rule is silent.',
    fix: 'When `images.replacements` maps the image: replaces it with the approved image, resolved from the registry to the same tag when allowed (else the newest allowed tag of the same variant and major) and its digest. Unsafe: a different base image can change what the build produces.',
  },
  check(ctx) {
    if (!ctx.policy.allowedImages) return;
    for (const use of imageUses(ctx.model.images)) {
      if (use.kind !== 'from') continue;
      const v = judgeImage(use.ref, ctx.policy);
      if (v.kind !== 'unapproved') continue;
      const why = v.near.length > 0 ? `: ${v.near[0]}` : '';
      const fix = replacementFix(use, ctx.policy, ctx.facts);
      ctx.report({
        range: use.range,
        message: `Base image ${familiarName(use.ref)} is not on the approved list${why}.`,
        key: normalisedName(use.ref),
        image: normalisedName(use.ref),
        fixes: fix ? [fix] : [],
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
