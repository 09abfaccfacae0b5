import type { Rule } from '../core/rule.ts';
import type { Fix } from '../core/types.ts';
import { imageUses, referenceEdit } from '../core/images.ts';
import { familiarName, normalisedName, repositoryName } from '../core/imageRef.ts';
import { imageFacts, newestAllowedTag, repositoryFacts } from '../core/registryView.ts';

export const newerPatchAvailable: Rule = {
  id: 'PL307',
  name: 'newer-patch-available',
  category: 'pinning',
  severity: 'info',
  status: 'stable',
  fixSafety: 'unsafe',
  needs: ['registry'],
  docs: {
    summary: 'A newer tag of the same image and variant exists within the allowed range (the newest patch, or minor with `pinning.bump: minor`).',
    why: 'Exact tags do not receive fixes. Moving to the newest patch of the same line keeps the build reproducible and picks up security releases; only tags the policy allows are proposed.',
    bad: 'FROM node:20.11.0-alpine\n',
    good: 'FROM node:20.11.1-alpine\n',
    options: '`pinning.bump`: `patch` (default, same minor) or `minor` (same major).',
    fix: 'Rewrites the tag (and the digest, resolved from the registry, when the reference was pinned). Unsafe: it changes the image.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      const tags = repositoryFacts(ctx.facts, repositoryName(use.ref))?.tags;
      if (!tags) continue;
      const newer = newestAllowedTag(use.ref, tags, ctx.policy);
      if (!newer) continue;
      const fixes: Fix[] = [];
      const text = use.argSource ? use.argSource.value.replace(/^(["'])(.*)\1$/, '$2') : use.written;
      if (!text.includes('$')) {
        let next = text.replace(/:[^:@/]+(@|$)/, `:${newer.tag}$1`);
        if (use.ref.digest !== undefined) {
          const d = imageFacts(ctx.facts, `${repositoryName(use.ref)}:${newer.tag}`)?.digest;
          next = d ? next.replace(/@.*$/, `@${d}`) : '';
        }
        const edit = next ? referenceEdit(use, next) : undefined;
        if (edit) fixes.push({ title: `Bump to ${newer.tag}`, applicability: 'unsafe', changes: [{ edits: [edit] }] });
      }
      ctx.report({
        range: use.range,
        message: `${familiarName({ registry: use.ref.registry, repository: use.ref.repository, original: '' })}:${newer.tag} is the newest allowed release of this line (you have ${use.ref.tag}).`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        fixes,
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
