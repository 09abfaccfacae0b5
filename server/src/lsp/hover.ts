// Hovers: on an image (FROM, COPY --from, RUN --mount=from) what the engine knows about it, and on an
// ignore pragma what it silences. Pure: state and position in, Markdown out; provenance is appended by the
// caller from its provider.
import { dirname, relative } from 'node:path';
import type { Position, Range } from '../core/types.ts';
import type { ImageUse } from '../core/model.ts';
import type { PolicySource } from '../core/policy.ts';
import { findPragmas, type Pragma } from '../core/suppress.ts';
import { judgeImage, pinLevelFor } from '../core/images.ts';
import { normalisedName } from '../core/imageRef.ts';
import { hadolintMap, rulesById, ruleDocsUrl } from '../rules/index.ts';
import type { CheckState } from './checker.ts';
import { displaySeverity } from './diagnostics.ts';
import { pathToUri } from './documents.ts';

export type HoverTarget = { kind: 'image'; use: ImageUse } | { kind: 'pragma'; pragma: Pragma };

const contains = (r: Range, p: Position): boolean =>
  (p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character)) &&
  (p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character));

export function hoverTarget(state: CheckState, p: Position): HoverTarget | undefined {
  const model = state.result?.model;
  if (!model) return undefined;
  const use = model.images.find((u) => contains(u.range, p)) ?? model.images.find((u) => u.kind === 'from' && contains(u.instr.keywordRange, p));
  if (use) return { kind: 'image', use };
  const pragma = findPragmas(model, hadolintMap).find((x) => contains(x.range, p));
  if (pragma) return { kind: 'pragma', pragma };
  return undefined;
}

const code = (s: string): string => {
  const ticks = s.includes('`') ? '``' : '`';
  return `${ticks}${s.replace(/[\r\n]+/g, ' ')}${ticks}`;
};

function sourceLink(state: CheckState, s: PolicySource | undefined): string {
  if (!s) return '';
  const from = state.policyEntry ? dirname(state.policyEntry.path) : state.path ? dirname(state.path) : undefined;
  let shown = s.file;
  if (from) {
    const rel = relative(from, s.file);
    if (rel && !rel.startsWith('..')) shown = rel;
  }
  const uri = s.file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s.file) ? `${pathToUri(s.file)}#L${s.line}` : undefined;
  return uri ? ` ([${shown}:${s.line}](${uri}))` : ` (${shown}:${s.line})`;
}

const KIND_LABEL: Record<ImageUse['kind'], string> = { from: 'FROM', 'copy-from': 'COPY --from', 'mount-from': 'RUN --mount=from' };

export function imageHover(state: CheckState, use: ImageUse): string {
  const out: string[] = [];
  const label = KIND_LABEL[use.kind];
  if (use.stageRef) {
    out.push(`**${label}** stage ${code(use.stageRef.name ?? String(use.stageRef.index))} (line ${use.stageRef.from.range.start.line + 1})`);
  } else if (use.scratch) {
    out.push(`**${label}** ${code('scratch')}: the empty image, nothing to pull.`);
  } else if (use.ref) {
    out.push(`**${label}** ${code(normalisedName(use.ref))}`);
  } else {
    out.push(`**${label}** ${code(use.written || use.resolved)}`);
  }
  out.push('');

  const vars = [...new Set([...use.written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
  if (vars.length > 0) {
    const resolved = use.unresolved.length > 0 ? 'cannot be resolved' : `resolves to ${code(use.resolved)}`;
    out.push(`Written ${code(use.written)}, ${resolved}.`);
    for (const name of vars) out.push(`- ${varSource(state, use, name)}`);
    out.push('');
  }

  if (use.ref && !use.stageRef && !use.scratch) {
    const policy = state.policy;
    const v = judgeImage(use.ref, policy);
    if (v.kind === 'denied') {
      const repl = v.rule.replacement ? ` Replacement: ${code(v.rule.replacement)}.` : '';
      out.push(`Policy: **denied** by ${code(v.rule.image)}: ${v.rule.reason}.${repl}${sourceLink(state, v.rule.source)}`);
    } else if (v.kind === 'unapproved') {
      out.push(`Policy: **not approved**: no \`images.allow\` entry matches.`);
      for (const n of v.near.slice(0, 5)) out.push(`- ${n}`);
    } else if (v.rule) {
      const detail = [v.rule.tags ? `tags ${v.rule.tags.map(code).join(', ')}` : '', v.rule.semver ? `semver ${code(v.rule.semver)}` : '', v.rule.variants ? `variants ${v.rule.variants.map((x) => code(x || '(none)')).join(', ')}` : '']
        .filter(Boolean)
        .join(', ');
      out.push(`Policy: **approved** by ${code(v.rule.image)}${detail ? ` (${detail})` : ''}${sourceLink(state, v.rule.source)}`);
    } else {
      out.push(state.policyEntry ? 'Policy: **approved** (the policy has no allowlist, and no deny entry matches).' : 'Policy: no `.plimsoll.yaml` applies; only the built-in checks run.');
    }
    out.push('');
    const pin = use.ref.digest ? `pinned by digest ${code(use.ref.digest.slice(0, 19) + '…')}` : use.ref.tag !== undefined ? `tag ${code(use.ref.tag)}, no digest` : `no tag (Docker pulls ${code('latest')})`;
    out.push(`Pin: ${pin}; the policy asks for ${code(pinLevelFor(use.stage, policy))} here.`);
    out.push('');
  }

  const line = use.range.start.line;
  const here = (state.result?.findings ?? []).filter((f) => f.range.start.line <= line && line <= f.range.end.line && displaySeverity(f, state.settings));
  if (here.length > 0) {
    out.push('Findings on this line:');
    for (const f of here) out.push(`- [${f.ruleId}](${ruleDocsUrl(f.ruleId)}) ${f.message}`);
    out.push('');
  }
  return out.join('\n').trim();
}

function varSource(state: CheckState, use: ImageUse, name: string): string {
  const given = state.settings.buildArgs[name];
  if (given !== undefined) return `${code(name)} = ${code(given)} from the \`plimsoll.buildArgs\` setting`;
  if (use.argSource?.name === name) {
    return `${code(name)} = ${code(use.argSource.value)} from ${code(`ARG ${name}`)} on line ${use.argSource.instr.range.start.line + 1}`;
  }
  const model = state.result?.model;
  const decl = model?.instructions
    .filter((i) => i.keyword === 'ARG' && i.index < use.instr.index && i.properties.some((p) => p.name === name && p.value !== null))
    .at(-1);
  const prop = decl?.properties.find((p) => p.name === name);
  if (decl && prop) return `${code(name)} = ${code(prop.value ?? '')} from ${code(`ARG ${name}`)} on line ${decl.range.start.line + 1}`;
  if (use.unresolved.includes(name)) return `${code(name)} has no default and no build arg`;
  return `${code(name)} (automatic or from ENV)`;
}

export function pragmaHover(state: CheckState, pragma: Pragma): string {
  const out: string[] = [];
  const scope = pragma.fromLine === 0 && pragma.toLine >= (state.result?.model.index.lineCount ?? 0) ? 'the whole file' : `line ${pragma.fromLine + 1}${pragma.toLine > pragma.fromLine ? `–${pragma.toLine + 1}` : ''}`;
  out.push(`**${pragma.source} ignore** covers ${scope}.`);
  out.push('');
  for (const written of pragma.written) {
    const upper = written.toUpperCase();
    const ids = pragma.source === 'hadolint' ? (hadolintMap.get(upper) ?? []) : [upper];
    if (ids.length === 0) {
      out.push(`- ${code(written)}: ${pragma.source === 'hadolint' ? 'no Plimsoll rule maps to this hadolint code' : 'unknown rule'}`);
      continue;
    }
    for (const id of ids) {
      const rule = rulesById.get(id);
      const prefix = pragma.source === 'hadolint' ? `${code(written)} → ` : '';
      out.push(rule ? `- ${prefix}[${rule.id}](${ruleDocsUrl(rule.id)}) ${rule.name}: ${rule.docs.summary}` : `- ${prefix}${code(id)}: unknown rule`);
    }
  }
  out.push('');
  out.push(pragma.reason ? `Reason: ${pragma.reason}` : '_No reason given._');
  if (!state.policy.allowInlineSuppression) {
    out.push('');
    out.push('**The policy forbids inline suppression**: this pragma hides nothing. Use a waiver in the policy file.');
  }
  return out.join('\n').trim();
}
