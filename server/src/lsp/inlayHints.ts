// Inlay hints: sizes where the facts know them. Today the base image's total size at its FROM line; per
// instruction and per stage totals arrive once config history is mapped to instructions (the seam is
// `computeInlayHints(model, facts)`; it only ever shows what the facts say, never estimates).
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { DockerfileModel, ImageUse } from '../core/model.ts';
import type { ImageFacts, RegistryFacts } from '../core/facts.ts';
import { normalisedName } from '../core/imageRef.ts';
import { formatBytes, pickManifest } from './providers.ts';

export function factsFor(use: ImageUse, facts: RegistryFacts | undefined): ImageFacts | undefined {
  if (!facts || !use.ref) return undefined;
  return facts.images.get(normalisedName(use.ref)) ?? facts.images.get(use.resolved);
}

export function computeInlayHints(model: DockerfileModel, facts: RegistryFacts | undefined, range?: Range): InlayHint[] {
  if (!facts) return [];
  const hints: InlayHint[] = [];
  for (const stage of model.stages) {
    const use = stage.image;
    const line = stage.from.range.end.line;
    if (range && (line < range.start.line || stage.from.range.start.line > range.end.line)) continue;
    const f = factsFor(use, facts);
    const m = f ? pickManifest(f, use.platform) : undefined;
    if (!f || !m || f.error) continue;
    const kind = m.sizeKind === 'uncompressed' ? 'uncompressed' : 'compressed';
    hints.push({
      position: { line, character: model.index.lineLength(line) },
      label: `${formatBytes(m.totalSize)} ${kind}`,
      kind: InlayHintKind.Type,
      paddingLeft: true,
      tooltip: `${use.resolved}: ${m.layers.length} layers${m.platform ? ` (${m.platform.os}/${m.platform.architecture})` : ''}`,
    });
  }
  return hints;
}
