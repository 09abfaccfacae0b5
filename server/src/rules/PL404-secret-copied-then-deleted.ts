import type { Rule } from '../core/rule.ts';
import { memo, type DockerfileModel, type Instr } from '../core/model.ts';
import { IgnoreMatcher, cleanPath, contextSources } from '../core/context.ts';
import { sensitiveFilesFor, expandAt, sensitiveHitsForSource, workdirAt, type SensitiveHit } from '../core/secrets.ts';
import { basename, programIndex, runCommands } from '../core/shell.ts';

export const secretCopiedThenDeleted: Rule = {
  id: 'PL404',
  name: 'secret-copied-then-deleted',
  category: 'secret',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'A sensitive file that a COPY or ADD puts in the image and a later RUN of the same stage deletes (`rm`, `rm -rf`, `shred -u`).',
    why:
      'Each instruction adds a layer, and a layer is never rewritten: deleting a file in a later RUN only hides it. The secret is still in the COPY layer, and `docker save` or any layer-extraction tool reads it back. The rule matches the deleted path against where the file landed: the destination itself, a parent folder, or its name relative to the WORKDIR (and `cd` within the RUN).',
    bad: 'FROM node:20.11.1-alpine\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && rm -f .npmrc\n',
    good: '# syntax=docker/dockerfile:1\nFROM node:20.11.1-alpine\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n# docker build --secret id=npmrc,src=$HOME/.npmrc .\n',
    fix: 'None: the file must not reach a layer at all. Mount it for the one RUN that needs it with `RUN --mount=type=secret`, which is never stored in the image.',
    options: '`secrets.sensitiveFiles` (shared with PL403).',
  },
  check(ctx) {
    const model = ctx.model;
    const facts = ctx.buildContext;
    const ignore = new IgnoreMatcher(facts?.dockerignore?.text);
    const sensitive = sensitiveFilesFor(ctx.policy.secrets.sensitiveFiles);
    for (const stage of model.stages) {
      const ins = stage.instructions;
      for (let k = 0; k < ins.length; k++) {
        const instr = ins[k]!;
        const sources = contextSources(instr);
        if (sources.length === 0) continue;
        let dest: Destination | undefined | null = null;
        let seen: Set<string> | undefined;
        for (const src of sources) {
          const source = expandAt(model, instr, src.source);
          if (source === undefined) continue;
          for (const hit of sensitiveHitsForSource(source, facts, ignore, sensitive).hits) {
            if (seen?.has(hit.path)) continue;
            if (dest === null) dest = destination(model, instr, sources.length);
            if (!dest) continue;
            const landed = landingPaths(source, hit, dest);
            const run = ins.find((i, j) => j > k && i.keyword === 'RUN' && deletes(model, i, landed, hit.kind));
            if (!run) continue;
            (seen ??= new Set()).add(hit.path);
            const shown = hit.kind === 'folder' ? `${hit.path}/` : hit.path;
            ctx.report({
              range: src.range,
              message: `${shown} (${hit.what}) is copied into the image here and deleted by the RUN on line ${run.range.start.line + 1}, but this layer still holds it. Mount it for the RUN that needs it with RUN --mount=type=secret instead.`,
              key: hit.path,
              stage,
            });
          }
        }
      }
    }
  },
};

interface Destination {
  path: string;
  /** The destination is a folder: it ends with `/`, or the instruction has several sources. */
  folder: boolean;
}

function destination(model: DockerfileModel, instr: Instr, sourceCount: number): Destination | undefined {
  let written: string | undefined;
  if (/^\s*\[/.test(instr.logical)) {
    try {
      const parsed = JSON.parse(instr.logical) as unknown;
      if (Array.isArray(parsed)) written = typeof parsed.at(-1) === 'string' ? (parsed.at(-1) as string) : undefined;
    } catch {
      return undefined;
    }
  } else {
    let args = instr.args;
    if (instr.heredocs.length > 0) args = args.slice(0, instr.logical.trim().split(/\s+/).length);
    written = args.at(-1)?.value;
  }
  if (written === undefined) return undefined;
  const value = expandAt(model, instr, written);
  if (value === undefined) return undefined;
  const folder = value.endsWith('/') || sourceCount > 1 || value === '.' || value.endsWith('/.');
  return { path: resolve(workdirAt(model, instr), value), folder };
}

function resolve(cwd: string, p: string): string {
  return cleanPath(p.startsWith('/') ? p : `${cwd}/${p}`);
}

/** Where the sensitive file (or folder) ends up in the image. */
function landingPaths(source: string, hit: SensitiveHit, dest: Destination): string[] {
  const src = cleanPath(source.replace(/^\/+/, ''));
  const name = (p: string) => p.split('/').at(-1)!;
  const asFile = (p: string) => (dest.folder ? [resolve(dest.path, name(p))] : [dest.path, resolve(dest.path, name(p))]);
  if (/[*?[]/.test(src)) {
    // Each match of a wildcard lands in the destination folder; a matched folder brings its contents.
    const depth = src.split('/').length;
    const head = hit.path.split('/').slice(0, depth).join('/');
    if (head === hit.path) return hit.kind === 'folder' ? [dest.path] : [resolve(dest.path, name(hit.path))];
    return [resolve(dest.path, hit.path.slice(head.length + 1))];
  }
  if (src === hit.path) return hit.kind === 'folder' ? [dest.path] : asFile(hit.path);
  if (src.startsWith(`${hit.path}/`)) return asFile(src);
  // A folder source copies its contents: the file keeps its path below that folder.
  const rel = src === '.' ? hit.path : hit.path.slice(src.length + 1);
  return [resolve(dest.path, rel)];
}

/** The RUN removes one of the landing paths: `rm` (any flags) or `shred -u`, of the path, a parent, or (for a folder) part of it. */
function deletes(model: DockerfileModel, run: Instr, landed: readonly string[], kind: SensitiveHit['kind']): boolean {
  return removedPaths(model, run).some((target) => landed.some((l) => covers(target, l) || (kind === 'folder' && covers(l, target))));
}

const REMOVED = Symbol('plimsoll.removedPaths');

/** Kept per RUN: every sensitive COPY asks about each later RUN of its stage. */
function removedPaths(model: DockerfileModel, run: Instr): string[] {
  return memo(run, REMOVED, () => findRemovedPaths(model, run));
}

/** What `rm` and `shred -u` remove in a RUN, resolved against the WORKDIR and any `cd` before them. */
function findRemovedPaths(model: DockerfileModel, run: Instr): string[] {
  const out: string[] = [];
  let cwd = workdirAt(model, run);
  const home = '/root';
  for (const cmd of runCommands(model, run)) {
    const p = programIndex(cmd.words);
    if (p < 0) continue;
    const program = basename(cmd.words[p]!.value);
    const args = cmd.words.slice(p + 1).map((w) => w.value);
    if (program === 'cd') {
      const to = args[0];
      if (to !== undefined && !to.includes('$')) cwd = resolve(cwd, to.replace(/^~(?=\/|$)/, home));
      continue;
    }
    let removes = program === 'rm';
    if (program === 'shred') removes = args.some((a) => a === '--remove' || a.startsWith('--remove=') || /^-[a-zA-Z]*u/.test(a));
    if (!removes) continue;
    let options = true;
    for (const a of args) {
      if (options && a === '--') {
        options = false;
        continue;
      }
      if (options && a.startsWith('-') && a !== '-') continue;
      const path = a.replace(/^(?:~|\$HOME|\$\{HOME\})(?=\/|$)/, home);
      if (path.includes('$')) continue;
      out.push(resolve(cwd, path));
    }
  }
  return out;
}

/** `outer` names `inner` or a folder holding it; `outer` may be a wildcard. */
function covers(outer: string, inner: string): boolean {
  if (outer === inner || outer === '/' || inner.startsWith(`${outer}/`)) return true;
  if (!/[*?[]/.test(outer)) return false;
  let re = '^';
  for (const ch of outer) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}(?:/.*)?$`).test(inner);
}
