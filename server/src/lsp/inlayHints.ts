// Inlay hints: sizes where the facts know them, never estimates. The base image's compressed size at each
// FROM line, and with a built image mapped back to this Dockerfile (core/history.ts) the size of the layer
// each instruction made and the total per stage (core/provenance.layerHints).
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { DockerfileModel, ImageUse } from '../core/model.ts';
import type { ImageFacts, RegistryFacts } from '../core/facts.ts';
import { normalisedName } from '../core/imageRef.ts';
import { manifestFor } from '../core/registryView.ts';
import { layerHints } from '../core/provenance.ts';
import { formatBytes } from '../core/units.ts';

export function factsFor(use: ImageUse, facts: RegistryFacts | undefined): ImageFacts | undefined {
  if (!facts || !use.ref) return undefined;
  return facts.images.get(normalisedName(use.ref)) ?? facts.images.get(use.resolved);
}

export function computeInlayHints(model: DockerfileModel, facts: RegistryFacts | undefined, range?: Range, builtImage?: string): InlayHint[] {
  if (!facts) return [];
  const inRange = (line: number) => !range || (line >= range.start.line && line <= range.end.line);
  const hints: InlayHint[] = [];
  for (const stage of model.stages) {
    const use = stage.image;
    const line = stage.from.range.end.line;
    if (range && (line < range.start.line || stage.from.range.start.line > range.end.line)) continue;
    const f = factsFor(use, facts);
    const m = f ? manifestFor(use, f) : undefined;
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
  for (const h of layerHints(model, facts, builtImage)) {
    if (!inRange(h.position.line)) continue;
    hints.push({ position: h.position, label: h.label, kind: InlayHintKind.Type, paddingLeft: true, ...(h.tooltip ? { tooltip: h.tooltip } : {}) });
  }
  return hints;
}
