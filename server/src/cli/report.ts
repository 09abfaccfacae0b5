// What one CLI run found, handed to the formatters.
import type { Finding } from '../core/types.ts';
import type { GatherSummary } from '../registry/gather.ts';
import type { RemoteUse } from '../policy/load.ts';

export interface FileReport {
  /** Absolute path. */
  path: string;
  /** Path as shown to the user (relative to the working folder). */
  display: string;
  /** Path relative to the repository root, `/`-separated (SARIF and GitHub want this). */
  repoPath: string;
  findings: Finding[];
  suppressed: Finding[];
  fixed: number;
}

export interface ProblemReport {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface RunReport {
  /** What the registry (or, offline, the cache) answered; absent when registry facts were not used. */
  registry?: GatherSummary & { offline: boolean };
  files: FileReport[];
  /** Policy, read and internal errors: reported, never swallowed. */
  problems: ProblemReport[];
  /** Policies fetched by URL (`extends`), with whether they came from the cache and how old they are. */
  remotePolicies?: RemoteUse[];
  /** file:// URI of the repository root. */
  rootUri: string;
  version: string;
}
