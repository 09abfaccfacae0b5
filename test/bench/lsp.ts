// Language-server latency (didOpen and edits to diagnostics, hover), beside dockerfile-language-server-nodejs.
export interface BenchRow {
  what: string;
  result: string;
  beside: string;
  target: string;
}

export async function benchLsp(_root: string): Promise<BenchRow[]> {
  return [];
}
