// Build-context facts per Dockerfile, read from disk once and forgotten when a file in that folder (or its
// `.dockerignore`) changes.
import { dirname, sep } from 'node:path';
import type { BuildContextFacts } from '../core/context.ts';
import { clearBuildContextCache, readBuildContext } from '../workspace/buildContext.ts';

/** The editor walks fewer files than the CLI: a Dockerfile in a home folder must not stall the server. */
const MAX_EDITOR_CONTEXT_FILES = 20_000;

export class BuildContextCache {
  private readonly byDockerfile = new Map<string, BuildContextFacts | undefined>();

  constructor(private readonly read: (dockerfilePath: string) => BuildContextFacts = (p) => readBuildContext(p, { maxFiles: MAX_EDITOR_CONTEXT_FILES })) {}

  get(dockerfilePath: string): BuildContextFacts | undefined {
    if (this.byDockerfile.has(dockerfilePath)) return this.byDockerfile.get(dockerfilePath);
    let facts: BuildContextFacts | undefined;
    try {
      facts = this.read(dockerfilePath);
    } catch {
      facts = undefined;
    }
    this.byDockerfile.set(dockerfilePath, facts);
    return facts;
  }

  /** Forgets the contexts that contain `changedPath`; returns the Dockerfile paths affected. */
  changed(changedPath: string): string[] {
    const affected: string[] = [];
    for (const dockerfile of this.byDockerfile.keys()) {
      const root = dirname(dockerfile);
      if (changedPath === root || changedPath.startsWith(root.endsWith(sep) ? root : root + sep)) affected.push(dockerfile);
    }
    for (const d of affected) this.byDockerfile.delete(d);
    // The workspace reader keeps its own walk cache per folder; it can only be cleared whole. Other
    // folders stay cached here, so they are not walked again.
    if (affected.length > 0) clearBuildContextCache();
    return affected;
  }

  forget(dockerfilePath: string): void {
    this.byDockerfile.delete(dockerfilePath);
  }

  clear(): void {
    this.byDockerfile.clear();
    clearBuildContextCache();
  }
}
