// Runs every test/**/*.test.ts with node's own test runner (Node 20 has no --test globs).
// `node test/run.mjs registry` runs only files whose path contains "registry".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'fixtures' || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(join(root, 'test'));
const chosen = files.sort().filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
if (chosen.length === 0) {
  // node --test with no files would discover and run everything instead.
  console.error(`no test file matches ${filter.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...chosen], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
