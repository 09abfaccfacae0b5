import type { Rule } from '../core/rule.ts';
import type { Fix } from '../core/types.ts';
import { imageUses, judgeImage } from '../core/images.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { replacementFix } from '../core/replace.ts';

export const deniedBaseImage: Rule = {
  id: 'PL102',
  name: 'denied-base-image',
  category: 'base-image',
  severity: 'error',
  status: 'stable',
  fixSafety: 'unsafe',
  docs: {
    summary: 'An image the policy denies (end of life, known vulnerable, unsupported), with the reason and a replacement.',
    why: 'Denied images are ones the organisation has decided must not ship: end-of-life distributions, images with unfixable vulnerabilities, or licences it cannot accept.',
    bad: 'FROM ubuntu:16.04\n',
    good: 'FROM ubuntu:24.04\n',
    options: '`images.deny` with `reason` and optional `replacement`.',
    fix: 'Replaces the reference with the policy\'s `replacement` (in the ARG default when the image comes from one). A replacement without a tag is resolved from the registry: the same tag when it exists and is allowed, else the newest allowed tag of the same variant and major; with the digest when known. Unsafe: a different base image can change what the build produces.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      const v = judgeImage(use.ref, ctx.policy);
      if (v.kind !== 'denied') continue;
      const fix = replacementFix(use, ctx.policy, ctx.facts);
      const fixes: Fix[] = fix ? [fix] : [];
      const replacement = v.rule.replacement;
      const suggestion = replacement ? ` Use ${replacement} instead.` : '';
      ctx.report({
        range: use.range,
        message: `Image ${familiarName(use.ref)} is denied by policy: ${v.rule.reason}.${suggestion}`,
        key: normalisedName(use.ref),
        image: normalisedName(use.ref),
        fixes,
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
