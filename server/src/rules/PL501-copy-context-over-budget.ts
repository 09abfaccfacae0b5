import type { Rule } from '../core/rule.ts';
import type { BuildContextFacts, ContextFile } from '../core/context.ts';
import { IgnoreMatcher, cleanPath, contextSources, filesForSource } from '../core/context.ts';
import { formatBytes } from '../core/units.ts';

/**
 * The entry one level below what the source names, so that `COPY . .` reports `node_modules/` rather than
 * one file deep inside it: a file is itself, a deeper path its folder with a trailing `/`.
 */
function contributor(depth: number, file: ContextFile): string {
  const parts = file.path.split('/');
  if (parts.length <= depth + 1) return file.path;
  return `${parts.slice(0, depth + 1).join('/')}/`;
}

/** How many segments a source names, cleaned the way filesForSource cleans it (`.` names none). */
function sourceDepth(source: string): number {
  let src = cleanPath(source.replace(/\\/g, '/')).replace(/^\/+/, '').replace(/^(\.\.\/)+/, '');
  if (src === '..') src = '.';
  return src === '.' || src === '' ? 0 : src.split('/').length;
}

// The editor re-lints on every change with the same walked file list; matching `.dockerignore` against a large
// context is the expensive part, so the files it leaves are kept per list and ignore text.
const visibleCache = new WeakMap<readonly ContextFile[], Map<string, ContextFile[]>>();
const NOTHING_IGNORED = new IgnoreMatcher(undefined);

function visibleFiles(facts: BuildContextFacts): ContextFile[] {
  const text = facts.dockerignore?.text ?? '';
  let byText = visibleCache.get(facts.files);
  if (!byText) {
    byText = new Map();
    visibleCache.set(facts.files, byText);
  }
  let visible = byText.get(text);
  if (!visible) {
    const ignore = new IgnoreMatcher(text);
    visible = facts.files.filter((f) => !ignore.ignores(f.path));
    byText.set(text, visible);
  }
  return visible;
}

export const copyContextOverBudget: Rule = {
  id: 'PL501',
  name: 'copy-context-over-budget',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  needs: ['context'],
  docs: {
    summary: 'A COPY or ADD that takes more bytes from the build context than the policy\'s budget, after `.dockerignore`.',
    why: 'Whatever a COPY takes lands in a layer of the image, and a broad `COPY . .` quietly picks up build output, test data, media or dependency folders. The budget catches that growth in review instead of in the registry bill.',
    bad: '# .dockerignore is missing node_modules and the 40 MB of fixtures\nCOPY . /app\n',
    good: '# .dockerignore\nnode_modules\ntest/fixtures\n\n# Dockerfile\nCOPY package.json package-lock.json /app/\nCOPY src/ /app/src/\n',
    fix: 'None: narrow the sources or extend `.dockerignore`; the message names the largest contributors.',
    options: '`sizes.copyContext` (e.g. `50MB`). Silent without a budget or when the build context is not known (the CLI and the editor read it from disk).',
  },
  check(ctx) {
    const budget = ctx.policy.sizes.copyContext;
    const facts = ctx.buildContext;
    if (budget === undefined || !facts) return;
    const visible: BuildContextFacts = { ...facts, files: visibleFiles(facts) };
    for (const instr of ctx.model.instructions) {
      const sources = contextSources(instr);
      if (sources.length === 0) continue;
      const taken = new Map<string, { file: ContextFile; group: string }>();
      for (const s of sources) {
        const depth = sourceDepth(s.source);
        for (const f of filesForSource(s.source, visible, NOTHING_IGNORED)) if (!taken.has(f.path)) taken.set(f.path, { file: f, group: contributor(depth, f) });
      }
      let total = 0;
      const groups = new Map<string, number>();
      for (const { file, group } of taken.values()) {
        total += file.size;
        groups.set(group, (groups.get(group) ?? 0) + file.size);
      }
      if (total <= budget) continue;
      const largest = [...groups]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 3)
        .map(([path, size]) => `${path} (${formatBytes(size)})`);
      const truncated = facts.truncated ? ' The build context was too large to list completely, so the real total may be higher.' : '';
      const first = sources[0]!.range;
      const last = sources[sources.length - 1]!.range;
      ctx.report({
        range: { start: first.start, end: last.end },
        message: `${instr.keyword} takes ${formatBytes(total)} from the build context, over the ${formatBytes(budget)} budget. Largest: ${largest.join(', ')}.${truncated}`,
        key: `${instr.keyword} ${sources.map((s) => s.source).join(' ')}`,
        ...(instr.stage ? { stage: instr.stage } : {}),
      });
    }
  },
};
