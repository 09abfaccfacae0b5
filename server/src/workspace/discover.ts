// Finds Dockerfiles under paths or globs: Dockerfile, Containerfile, *.Dockerfile, Dockerfile.* (not ignore files).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, relative, sep } from 'node:path';
import { globToRegExp } from '../core/glob.ts';

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'vendor']);

export function isDockerfileName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('.dockerignore')) return false;
  return lower === 'dockerfile' || lower === 'containerfile' || lower.endsWith('.dockerfile') || lower.startsWith('dockerfile.') || lower.startsWith('containerfile.');
}

export interface Discovery {
  files: string[];
  /** Paths or globs that matched nothing, reported as usage errors. */
  unmatched: string[];
}

export function discoverDockerfiles(inputs: string[], cwd = process.cwd()): Discovery {
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const input of inputs) {
    const before = found.size;
    const abs = resolve(cwd, input);
    if (/[*?[]/.test(input)) {
      const base = resolve(cwd, input.split('/').filter((p, i, all) => !/[*?[]/.test(all.slice(0, i + 1).join('/'))).join('/') || '.');
      const re = globToRegExp(relative(cwd, resolve(cwd, input)).split(sep).join('/'));
      walk(base, (p) => {
        if (re.test(relative(cwd, p).split(sep).join('/'))) found.add(p);
      }, true);
    } else if (existsSync(abs) && statSync(abs).isDirectory()) {
      walk(abs, (p) => found.add(p), false);
    } else if (existsSync(abs)) {
      found.add(abs);
    }
    if (found.size === before) unmatched.push(input);
  }
  return { files: [...found].sort(), unmatched };
}

function walk(dir: string, visit: (path: string) => void, anyName: boolean): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(p, visit, anyName);
    } else if (st.isFile() && (anyName || isDockerfileName(name))) visit(p);
  }
}
