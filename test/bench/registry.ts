// Registry work for many files: requests and wall time against a local registry, cold, warm and offline.
import type { BenchRow } from './lsp.ts';

export async function benchRegistry(_root: string): Promise<BenchRow[]> {
  return [];
}
