// Which open documents the server checks, and URI <-> path conversion. Pure.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { POLICY_FILE_NAMES } from '../policy/load.ts';

/**
 * Larger documents are not checked in the editor: linting is synchronous and must not stall other requests.
 * At 1 MiB a check costs about 100 to 250 ms (the 10k-instruction stress file, 1 MB of random bytes);
 * over-long lines are blanked by the engine (PL904), so no single line can blow this up.
 */
export const MAX_EDITOR_CHARS = 1024 * 1024;

export function baseName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * `dockerfile` documents, plus by name whatever the language id: `Dockerfile`, `Containerfile`,
 * `*.Dockerfile`, `Dockerfile.*` (but not `Dockerfile.dockerignore`, BuildKit's per-Dockerfile ignore file).
 */
export function isDockerfile(uri: string, languageId: string | undefined): boolean {
  const name = baseName(uri);
  if (/\.dockerignore$/i.test(name)) return false;
  if (languageId === 'dockerfile') return true;
  return /^(?:dockerfile|containerfile)$/i.test(name) || /\.dockerfile$/i.test(name) || /^dockerfile\./i.test(name) || /^containerfile\./i.test(name);
}

export function isPolicyFile(uri: string): boolean {
  return (POLICY_FILE_NAMES as readonly string[]).includes(baseName(uri));
}

/** The file system path of a `file:` URI; undefined for `untitled:` and other schemes. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}
