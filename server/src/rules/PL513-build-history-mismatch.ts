import type { Rule } from '../core/rule.ts';
import { builtImageMapping } from '../core/history.ts';
import { familiarName, parseImageRef } from '../core/imageRef.ts';

export const buildHistoryMismatch: Rule = {
  id: 'PL513',
  name: 'build-history-mismatch',
  category: 'size',
  severity: 'info',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'The built image\'s history does not line up with this Dockerfile, so its layers cannot be shown on the instructions that made them.',
    why:
      'Layer budgets for the built image (PL512), per-instruction sizes in hovers and inlay hints all rest on mapping the image\'s history back to the instructions. When an instruction has no matching history entry, the recorded command differs, or an entry cannot be attributed, the image was built from another revision of the Dockerfile (or by a tool that records no usable history), and the mapping is refused rather than guessed. The finding says which instruction and history entry disagree. It clears once the image is rebuilt and pushed from this Dockerfile.',
    bad: '# builds: [{ dockerfile: Dockerfile, image: registry.acme.internal/team/app:main }]\nFROM node:20.11.1-alpine\nRUN npm ci            # the pushed image was built when this line read `RUN npm install`\n',
    good: '# rebuild and push registry.acme.internal/team/app:main from this Dockerfile\nFROM node:20.11.1-alpine\nRUN npm ci\n',
    options: '`builds: [{ dockerfile, image }]` names the built image (or `plimsoll lint --image <ref>`).',
  },
  check(ctx) {
    const built = builtImageMapping(ctx.model, ctx.facts, ctx.builtImage);
    if (!built || built.mapping.status === 'mapped') return;
    const stage = built.mapping.stage;
    if (!stage) return;
    const ref = parseImageRef(ctx.builtImage ?? '');
    const name = ref ? familiarName(ref) : built.key;
    const why = built.mapping.problems.at(-1) ?? 'the history does not line up';
    const message =
      built.mapping.status === 'ambiguous'
        ? `The history of the built image ${name} cannot be matched to this Dockerfile: ${why}. Layer sizes are not shown per instruction.`
        : `The history of the built image ${name} does not line up with this Dockerfile: ${why}. It was built from another revision; layer sizes are not shown per instruction until it is rebuilt from this file.`;
    ctx.report({
      range: stage.from.range,
      message,
      key: built.key,
      image: built.key,
      stage,
    });
  },
};
