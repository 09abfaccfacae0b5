// `npm run bench`: measures Plimsoll beside its floor and its peers, and writes the table into README.md.
// Numbers are measured, never asserted: tests carry no timing assertions.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { corpusFiles, CORPUS } from '../fuzz/fuzz.ts';
import { benchLsp } from './lsp.ts';
import { benchRegistry } from './registry.ts';

const ROOT = join(__dirname, '..', '..');
const TMP = join(ROOT, '.tmp', 'bench');
mkdirSync(TMP, { recursive: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

interface Row {
  what: string;
  result: string;
  beside: string;
  target: string;
}
const rows: Row[] = [];

async function corpus(): Promise<void> {
  const files = corpusFiles();
  if (files.length === 0) return;
  const list = join(TMP, 'files.txt');
  writeFileSync(list, files.join('\n'));
  const worker = join(TMP, 'worker.js');
  // Resolved as server/build.mjs resolves the shipped bundles (no `module` condition), for the floor too.
  await build({ entryPoints: [join(__dirname, 'worker.ts')], outfile: worker, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error', conditions: [] });
  const run = (mode: string) => JSON.parse(execFileSync(process.execPath, [worker, mode, list], { encoding: 'utf8', maxBuffer: 1 << 20 })) as { files: number; bytes: number; coldMs: number; warmMs: number; maxRssKb: number };
  const parse = run('parse');
  const validate = run('validate');
  const lint = run('lint');
  const rate = (r: typeof lint, ms: number) => `${Math.round(r.files / (ms / 1000))} files/s, ${(r.bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  rows.push({
    what: `Whole corpus, one process (${lint.files} files, ${(lint.bytes / 1e6).toFixed(1)} MB), warm`,
    result: `${rate(lint, lint.warmMs)}, peak RSS ${mb(lint.maxRssKb)}`,
    beside: `parse only ${rate(parse, parse.warmMs)}; dockerfile-utils validate ${rate(validate, validate.warmMs)}`,
    target: `>= 80% of parse: ${Math.round((parse.warmMs / lint.warmMs) * 100)}%`,
  });
  rows.push({
    what: 'Whole corpus, cold (first pass in a new process)',
    result: rate(lint, lint.coldMs),
    beside: `parse only ${rate(parse, parse.coldMs)}; validate ${rate(validate, validate.coldMs)}`,
    target: `${Math.round((parse.coldMs / lint.coldMs) * 100)}% of parse`,
  });
}

function perProcess(): void {
  const file = join(CORPUS, 'files', 'docker-library__python', '3.12__slim-bookworm__Dockerfile');
  const target = existsSync(file) ? file : corpusFiles(1)[0];
  if (!target) return;
  const rss = join(__dirname, 'rss.cjs');
  const once = (args: string[]) => {
    const start = performance.now();
    const r = spawnSync(process.execPath, ['-r', rss, ...args], { encoding: 'utf8' });
    const wall = performance.now() - start;
    return { wall, rss: Number(/@@maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN) };
  };
  const summary = (runs: Array<{ wall: number; rss: number }>) => ({ wall: median(runs.map((x) => x.wall)), rss: median(runs.map((x) => x.rss).filter((x) => !Number.isNaN(x))) });
  // Bare Node and the CLI take turns, and the figure over bare Node is the median of each pair's difference:
  // a noisy moment on the machine weighs on both runs of a pair, not on one side's median.
  const timeBoth = (a: string[], b: string[]) => {
    const runs: Array<{ wall: number; rss: number }[]> = [[], []];
    for (let i = 0; i < 21; i++) {
      runs[0]!.push(once(a));
      runs[1]!.push(once(b));
    }
    return { bare: summary(runs[0]!), cli: summary(runs[1]!), over: median(runs[1]!.map((x, i) => x.wall - runs[0]![i]!.wall)) };
  };
  const { bare, cli, over } = timeBoth(['-e', '0'], [join(ROOT, 'dist', 'cli.js'), 'lint', target, '--no-registry', '-q', '--fail-on', 'never']);
  rows.push({
    what: 'One file per process (`plimsoll lint <file>`), median of 21',
    result: `${cli.wall.toFixed(0)} ms, RSS ${mb(cli.rss)}`,
    beside: `\`node -e 0\`: ${bare.wall.toFixed(0)} ms, RSS ${mb(bare.rss)}`,
    target: `<= 40 ms over bare Node: +${over.toFixed(0)} ms (median of paired differences)`,
  });
  const big = join(CORPUS, 'stress', 'stress-2mb-single-line-run.Dockerfile');
  if (existsSync(big)) {
    const r = summary(Array.from({ length: 21 }, () => once([join(ROOT, 'dist', 'cli.js'), 'lint', big, '--no-registry', '-q', '--fail-on', 'never'])));
    rows.push({ what: '2 MB single-line file (`plimsoll lint`)', result: `${r.wall.toFixed(0)} ms, peak RSS ${mb(r.rss)}`, beside: '', target: `<= 150 MB RSS` });
  }
}

/** `plimsoll report` over the whole corpus (issue 7): one run per format, wall time and peak RSS. */
function estateReport(): void {
  const dir = join(CORPUS, 'files');
  if (!existsSync(dir)) return;
  const rss = join(__dirname, 'rss.cjs');
  const results: string[] = [];
  for (const format of ['json', 'html', 'markdown']) {
    const start = performance.now();
    const r = spawnSync(process.execPath, ['-r', rss, join(ROOT, 'dist', 'cli.js'), 'report', `${dir}/**`, '--no-registry', '-q', '--format', format, '-o', join(TMP, `report.${format}`)], { encoding: 'utf8' });
    const ms = performance.now() - start;
    const kb = Number(/@@maxrss (\d+)/.exec(r.stderr)?.[1] ?? 0);
    results.push(`${format} ${(ms / 1000).toFixed(1)} s, ${mb(kb)}`);
  }
  rows.push({ what: `Estate report over the corpus (\`plimsoll report\`, ${corpusFiles().length} files)`, result: results.join('; '), beside: '', target: 'time and peak RSS per format' });
}

function writeReadme(): void {
  const path = join(ROOT, 'README.md');
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
  let table = [
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu} (2 cores).`,
    '',
    '| measurement | Plimsoll | beside | target |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.result} | ${r.beside} | ${r.target} |`),
  ].join('\n');
  const readme = readFileSync(path, 'utf8');
  const re = /(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/;
  // A partial run (`npm run bench -- lsp`) replaces its own rows and keeps the others.
  const old = re.exec(readme)?.[0] ?? '';
  const measured = new Set(rows.map((r) => r.what));
  const kept = old
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| measurement') && !measured.has(l.split(' | ')[0]!.slice(2)));
  table = table.replace('|---|---|---|---|', ['|---|---|---|---|', ...kept].join('\n'));
  writeFileSync(path, re.test(readme) ? readme.replace(re, `$1${table}\n$2`) : `${readme}\n## Benchmarks\n\n<!-- bench:start -->\n${table}\n<!-- bench:end -->\n`);
  console.log(table);
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const only = process.argv.slice(2);
  const want = (s: string) => only.length === 0 || only.includes(s);
  if (want('corpus')) await corpus();
  if (want('process')) perProcess();
  if (want('report')) estateReport();
  if (want('lsp')) rows.push(...(await benchLsp(ROOT)));
  if (want('registry')) rows.push(...(await benchRegistry(ROOT)));
  writeReadme();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
