// A small, fixed-seed fuzz run inside `npm test`; `npm run fuzz` runs 100k mutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusFiles, runFuzz } from './fuzz/fuzz.ts';

test('mutated corpus files: no exception, no hang, ranges inside, safe fixes idempotent', { skip: corpusFiles(1).length === 0 && 'shared corpus not present' }, () => {
  const { runs, failures } = runFuzz(Number(process.env.FUZZ_COUNT ?? 400), Number(process.env.FUZZ_SEED ?? 0x5eed), Number(process.env.FUZZ_MAX_MS ?? 60_000));
  assert.ok(runs > 0);
  assert.deepEqual(failures.map((f) => `${f.file}: ${f.problem}`), []);
});
