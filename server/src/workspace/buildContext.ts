// Reads a build context from disk into facts for the engine: every file with its size, and the ignore file
// BuildKit would use (`<Dockerfile>.dockerignore` next to the Dockerfile wins over `<context>/.dockerignore`).
import { readdirSync, readFileSync, lstatSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { BuildContextFacts, ContextFile } from '../core/context.ts';

export interface ReadContextOptions {
  /** The context root; defaults to the Dockerfile's folder. */
  contextDir?: string;
  /** Stop after this many files and mark the facts truncated. */
  maxFiles?: number;
}

const cache = new Map<string, { files: ContextFile[]; truncated: boolean }>();

export function readBuildContext(dockerfilePath: string, options: ReadContextOptions = {}): BuildContextFacts {
  const dockerfileDir = dirname(dockerfilePath);
  const root = options.contextDir ?? dockerfileDir;
  const maxFiles = options.maxFiles ?? 100_000;
  // The folder is walked when a rule first asks for its files: most Dockerfiles' rules never do (no COPY or
  // ADD from the context), and a walk stats every file (a one-file CLI run spent more there than linting).
  const walked = (): { files: ContextFile[]; truncated: boolean } => {
    let w = cache.get(root);
    if (!w) cache.set(root, (w = walk(root, maxFiles)));
    return w;
  };
  const facts: BuildContextFacts = {
    get files() {
      return walked().files;
    },
    get truncated() {
      return walked().truncated;
    },
  };
  const specific = `${dockerfilePath}.dockerignore`;
  const general = join(root, '.dockerignore');
  const chosen = existsSync(specific) ? specific : general;
  const exists = existsSync(chosen);
  facts.dockerignore = {
    text: exists ? readFileSync(chosen, 'utf8') : '',
    file: relative(dockerfileDir, chosen).split(sep).join('/') || basename(chosen),
    exists,
  };
  return facts;
}

/** Forget walked folders (the language server calls this when files change). */
export function clearBuildContextCache(): void {
  cache.clear();
}

function walk(root: string, maxFiles: number): { files: ContextFile[]; truncated: boolean } {
  const files: ContextFile[] = [];
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    // Concatenated, not path.join: joining normalises the whole path again for each file, which cost more
    // than the lstat calls themselves (names from readdir hold no separators).
    const dir = rel ? `${root}/${rel}` : root;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = lstatSync(`${dir}/${name}`);
      } catch {
        continue;
      }
      if (st.isDirectory()) stack.push(relPath);
      else if (st.isFile() || st.isSymbolicLink()) {
        files.push({ path: relPath, size: st.isFile() ? st.size : 0 });
        if (files.length >= maxFiles) return { files, truncated: true };
      }
    }
  }
  return { files, truncated: false };
}
