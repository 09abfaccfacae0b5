// Runs in its own process (bundled to plain JS first): one kind of work over the whole corpus, a cold pass
// then warm passes, and prints timings and peak RSS as JSON.
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

// The engine is loaded only in lint mode: it memoises dockerfile-ast's argument scans, which would
// otherwise speed up the "parse only" floor it is measured against.
async function main(): Promise<void> {
const [mode, listFile, passes = '5'] = process.argv.slice(2);
const files = readFileSync(listFile!, 'utf8').split('\n').filter(Boolean);
const texts = files.map((f) => readFileSync(f, 'utf8'));
const work: Record<string, (t: string) => unknown> = {
  parse: (t) => DockerfileParser.parse(t),
  validate: (t) => validate(t),
};
if (mode === 'lint') {
  const { lint } = await import('../../server/src/core/lint.ts');
  const { defaultPolicy } = await import('../../server/src/core/policy.ts');
  const policy = defaultPolicy();
  work.lint = (t) => lint({ text: t, policy, today: '2026-06-15' });
}
const fn = work[mode!]!;
const times: number[] = [];
for (let p = 0; p < Number(passes); p++) {
  const start = performance.now();
  for (const t of texts) fn(t);
  times.push(performance.now() - start);
}
const warm = times.slice(1).sort((a, b) => a - b);
console.log(JSON.stringify({ mode, files: texts.length, bytes: texts.reduce((n, t) => n + Buffer.byteLength(t), 0), coldMs: times[0], warmMs: warm[Math.floor(warm.length / 2)] ?? times[0], maxRssKb: process.resourceUsage().maxRSS }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
