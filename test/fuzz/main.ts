// `npm run fuzz`: many mutations; failing inputs are written to .tmp/fuzz-failures for replay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFuzz } from './fuzz.ts';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const { runs, failures } = runFuzz(count, seed, 60 * 60_000);
const dir = join(process.cwd(), '.tmp', 'fuzz-failures');
failures.forEach((f, i) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${seed}-${i}.Dockerfile`), f.text);
  console.error(`${f.file}: ${f.problem.split('\n')[0]}`);
});
console.log(`fuzz: seed ${seed}, ${runs} mutations, ${failures.length} failures`);
process.exit(failures.length > 0 ? 1 : 0);
