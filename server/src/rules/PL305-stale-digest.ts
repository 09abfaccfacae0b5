import type { Rule } from '../core/rule.ts';
import { imageUses } from '../core/images.ts';
import { familiarName, normalisedName, repositoryName } from '../core/imageRef.ts';
import { imageFacts, tagKey } from '../core/registryView.ts';
import { withDigest } from '../core/pin.ts';
import { referenceEdit } from '../core/images.ts';

export const staleDigest: Rule = {
  id: 'PL305',
  name: 'stale-digest',
  category: 'pinning',
  severity: 'info',
  status: 'stable',
  fixSafety: 'unsafe',
  needs: ['registry'],
  docs: {
    summary: 'A pinned digest that no longer matches what its tag points at: the tag has moved on (usually a rebuild with security fixes).',
    why: 'A digest pin freezes the base image, which is the point, but it also freezes out patched rebuilds. When the tag moves, the pin is worth a deliberate update.',
    bad: 'FROM node:20.11.1-alpine@sha256:<old digest>\n',
    good: 'FROM node:20.11.1-alpine@sha256:<current digest>\n',
    fix: 'Updates the digest to the one the tag resolves to now. Unsafe: it changes the image the build uses.',
  },
  check(ctx) {
    for (const use of imageUses(ctx.model.images)) {
      const pinned = use.ref.digest;
      if (pinned === undefined || use.ref.tag === undefined) continue;
      const now = imageFacts(ctx.facts, tagKey(use.ref));
      if (!now?.digest || now.digest === pinned) continue;
      // A pin to one platform's manifest of the current index is up to date.
      if (now.manifests.some((m) => m.digest === pinned)) continue;
      // A digest the registry no longer has is PL306's, and worse than stale.
      if (ctx.facts?.digestExists?.get(`${repositoryName(use.ref)}@${pinned}`) === false) continue;
      const text = use.argSource ? use.argSource.value : use.written;
      const edit = referenceEdit(use, withDigest(text.replace(/^(["'])(.*)\1$/, '$2'), now.digest));
      ctx.report({
        range: use.range,
        message: `Tag ${use.ref.tag} of ${familiarName({ registry: use.ref.registry, repository: use.ref.repository, original: '' })} now points at ${now.digest.slice(0, 19)}…, not the pinned ${pinned.slice(0, 19)}….`,
        key: `${use.kind}:${normalisedName(use.ref)}`,
        image: normalisedName(use.ref),
        fixes: edit && !text.includes('$') ? [{ title: `Update digest to ${now.digest.slice(0, 19)}…`, applicability: 'unsafe', changes: [{ edits: [edit] }] }] : [],
        ...(use.stage ? { stage: use.stage } : {}),
      });
    }
  },
};
