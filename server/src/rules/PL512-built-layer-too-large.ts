import type { Rule } from '../core/rule.ts';
import type { DockerfileModel, Instr } from '../core/model.ts';
import type { Range } from '../core/types.ts';
import { builtImageMapping } from '../core/history.ts';
import { familiarName, parseImageRef } from '../core/imageRef.ts';
import { formatBytes } from '../core/units.ts';

export const builtLayerTooLarge: Rule = {
  id: 'PL512',
  name: 'built-layer-too-large',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'A layer of the built image over the policy\'s layer budget, shown on the instruction that made it.',
    why:
      'One huge layer is pulled whole by every node that runs the image and is rebuilt whenever anything in it changes. The built image (named by `--image` or `builds` in the policy) is read from the registry and its history is mapped back to this Dockerfile\'s instructions, from the last instruction backwards, checking each pair (keyword, RUN command, ENV/ARG/LABEL keys); both BuildKit and classic-builder histories are understood. When the history does not line up with the Dockerfile (it was built from another revision), nothing is guessed: PL513 says so instead. Sizes are the compressed sizes the manifest states.',
    bad: 'FROM python:3.12.4-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt   # 1.2 GB layer: pip cache and build tools\n',
    good: 'FROM python:3.12.4-slim\nCOPY requirements.txt /app/\nRUN pip install --no-cache-dir -r /app/requirements.txt\nCOPY . /app\n',
    options: '`sizes.layer` (e.g. `500MB`), the same budget PL511 applies to base image layers; `builds: [{ dockerfile, image }]` names the built image (or `plimsoll lint --image <ref>` for one Dockerfile).',
  },
  check(ctx) {
    const budget = ctx.policy.sizes.layer;
    if (budget === undefined) return;
    const built = builtImageMapping(ctx.model, ctx.facts, ctx.builtImage);
    if (!built || built.mapping.status !== 'mapped') return;
    const ref = parseImageRef(ctx.builtImage ?? '');
    const name = ref ? familiarName(ref) : built.key;
    const kind = built.manifest.sizeKind === 'uncompressed' ? 'uncompressed' : 'compressed';
    const ordinal = new Map<string, number>();
    for (const e of built.mapping.entries) {
      const stage = e.instr.stage;
      const slot = `${stage?.index ?? ''}:${e.instr.keyword}`;
      const nth = (ordinal.get(slot) ?? 0) + 1;
      ordinal.set(slot, nth);
      if (!e.layer || e.layer.size <= budget) continue;
      ctx.report({
        range: instructionRange(ctx.model, e.instr),
        message: `This ${e.instr.keyword} made layer ${e.layer.index} of ${built.mapping.layerCount} of ${name}: ${formatBytes(e.layer.size)} ${kind}, over the ${formatBytes(budget)} layer budget.`,
        key: `${built.key}\0${e.instr.keyword}#${nth}`,
        image: built.key,
        ...(stage ? { stage } : {}),
      });
    }
  },
};

/** The instruction from its keyword to the end of its arguments; a heredoc instruction's first line only. */
export function instructionRange(model: DockerfileModel, instr: Instr): Range {
  if (instr.heredocs.length === 0) return { start: instr.keywordRange.start, end: instr.range.end };
  const line = instr.range.start.line;
  return { start: instr.keywordRange.start, end: { line, character: model.index.lineLength(line) } };
}
