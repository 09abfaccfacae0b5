// Language-server latency (didOpen and edits to diagnostics, hover), beside dockerfile-language-server-nodejs
// driven by the same client over stdio.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClient, buildServer, pathUri } from '../lsp/support/client.ts';
import { CORPUS } from '../fuzz/fuzz.ts';

export interface BenchRow {
  what: string;
  result: string;
  beside: string;
  target: string;
}

interface Latency {
  open: number;
  editMedian: number;
  editP95: number;
  hover: number;
}

const EDITS = 150;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function measure(serverPath: string, file: string, ours: boolean): Promise<Latency> {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-bench-lsp-'));
  const path = join(dir, 'Dockerfile');
  const text = readFileSync(file, 'utf8');
  writeFileSync(path, text);
  const client = await TestClient.spawn(serverPath, { ...process.env, PLIMSOLL_NO_REGISTRY: '1' });
  client.settings = () => ({ debounceMs: 0 });
  try {
    await client.initialize(dir);
    const uri = pathUri(path);
    // Each publish carries the version it is for (ours) or comes once per change (docker-langserver).
    const next = (v: number) => client.nextDiagnostics(uri, (p) => !ours || p.version === v, 30_000);
    let start = performance.now();
    let wait = next(1);
    await client.open(uri, text);
    await wait;
    const open = performance.now() - start;
    const times: number[] = [];
    for (let v = 2; v < EDITS + 2; v++) {
      const edited = `${text}\n# edit ${v}\n`;
      wait = next(v);
      start = performance.now();
      await client.change(uri, v, edited);
      await wait;
      times.push(performance.now() - start);
    }
    const line = text.split('\n').findIndex((l) => /^FROM\s/i.test(l));
    const hovers: number[] = [];
    for (let i = 0; i < 21; i++) {
      start = performance.now();
      await client.request('textDocument/hover', { textDocument: { uri }, position: { line: Math.max(0, line), character: 6 } });
      hovers.push(performance.now() - start);
    }
    return { open, editMedian: pct(times, 0.5), editP95: pct(times, 0.95), hover: pct(hovers.slice(1), 0.5) };
  } finally {
    await client.dispose();
  }
}

export async function benchLsp(root: string): Promise<BenchRow[]> {
  const files: Array<[string, string, string]> = [
    ['52-line file', join(CORPUS, 'files', 'nodejs__docker-node', '26__trixie__Dockerfile'), '<= 2 ms median, 5 ms p95'],
    ['2,308-line file', join(CORPUS, 'files', 'apache__airflow', 'Dockerfile'), ''],
    ['10k-instruction file', join(CORPUS, 'stress', 'stress-10k-instructions.Dockerfile'), '<= 60 ms median, 100 ms p95'],
  ];
  const ours = await buildServer();
  const theirs = join(root, 'node_modules', 'dockerfile-language-server-nodejs', 'bin', 'docker-langserver');
  const rows: BenchRow[] = [];
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  for (const [name, file, target] of files) {
    if (!existsSync(file)) continue;
    const a = await measure(ours, file, true);
    const b = existsSync(theirs) ? await measure(theirs, file, false) : undefined;
    rows.push({
      what: `Language server, ${name}: open / edit (median, p95 of ${EDITS}) / warm hover`,
      result: `${ms(a.open)} / ${ms(a.editMedian)}, ${ms(a.editP95)} / ${ms(a.hover)}`,
      beside: b ? `docker-langserver: ${ms(b.open)} / ${ms(b.editMedian)}, ${ms(b.editP95)} / ${ms(b.hover)}` : '',
      target: target ? `${target}; hover <= 2 ms` : 'hover <= 2 ms',
    });
  }
  return rows;
}
