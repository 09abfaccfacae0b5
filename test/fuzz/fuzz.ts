// Mutation fuzzing of the engine over corpus files: byte flips, truncation, line splices, random
// continuations, huge lines and binary bytes. Bounded by count and time, deterministic by seed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lint, type LintInput } from '../../server/src/core/lint.ts';
import { applyEdits, planFixes } from '../../server/src/core/fixes.ts';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';

export const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus');

/** mulberry32: small, fast, good enough to make mutations repeatable from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function corpusFiles(limit = Infinity): string[] {
  const dir = join(CORPUS, 'files');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (out.length < limit) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const SNIPPETS = [
  ' \\\n', '`\n', '<<EOF\n', '\nEOF\n', '${', '}', '$(', '"', "'", '--mount=type=secret,id=x ', '--from=', '@sha256:', ':latest',
  '# plimsoll ignore=PL301 reason="x"\n', '# hadolint ignore=DL3006\n', '# escape=`\n', 'ARG A=${B:-${C:+x}}\n', 'FROM ', 'COPY . .\n',
  'ENV TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n', '\r\n', '\t', '\u2028', '\ud83d\ude00', '\ud800', '\0',
];

export function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const at = () => Math.floor(r() * (text.length + 1));
  switch (Math.floor(r() * 8)) {
    case 0: {
      // Byte flips.
      const chars = [...text];
      for (let i = 0; i < 1 + r() * 8 && chars.length > 0; i++) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 0x3000));
      return chars.join('');
    }
    case 1:
      return text.slice(0, at());
    case 2: {
      const lines = text.split('\n');
      const a = Math.floor(r() * lines.length);
      const b = Math.floor(r() * lines.length);
      lines.splice(a, 0, ...lines.slice(b, b + 1 + Math.floor(r() * 5)));
      return lines.join('\n');
    }
    case 3: {
      const p = at();
      return text.slice(0, p) + pick(SNIPPETS) + text.slice(p);
    }
    case 4: {
      const p = at();
      return `${text.slice(0, p)}RUN ${'x'.repeat(10_000 + Math.floor(r() * 200_000))}\n${text.slice(p)}`;
    }
    case 5: {
      const p = at();
      let junk = '';
      for (let i = 0; i < 64; i++) junk += String.fromCharCode(Math.floor(r() * 256));
      return text.slice(0, p) + junk + text.slice(p);
    }
    case 6:
      return text.replace(/\n/g, () => (r() < 0.2 ? ' \\\n' : '\n'));
    default:
      return pick(SNIPPETS).repeat(1 + Math.floor(r() * 50)) + text;
  }
}

export function strictPolicy(): Policy {
  const p = defaultPolicy();
  p.allowedImages = [{ image: 'docker.io/library/*' }];
  p.deniedImages = [{ image: 'docker.io/library/centos', reason: 'eol', replacement: 'rockylinux:9.3' }];
  p.trustedRegistries = ['docker.io'];
  p.pinning = { level: 'digest', scope: 'all', precision: 'patch', stages: {} };
  p.allowInlineSuppression = false;
  return p;
}

export interface FuzzFailure {
  seed: number;
  file: string;
  problem: string;
  text: string;
}

/** Lints one mutated text and returns what is wrong with the result, if anything. */
export function checkOne(text: string, policy: Policy, deadlineMs: number): string | undefined {
  const errors: string[] = [];
  const input: LintInput = { text, policy, today: '2026-06-15', onRuleError: (id, e) => errors.push(`${id}: ${String(e)}`) };
  const started = performance.now();
  let result;
  try {
    result = lint(input);
  } catch (e) {
    return `engine threw: ${(e as Error).stack ?? String(e)}`;
  }
  const took = performance.now() - started;
  if (took > deadlineMs) return `took ${Math.round(took)} ms (deadline ${deadlineMs} ms)`;
  if (errors.length > 0) return `rule threw: ${errors[0]}`;
  for (const f of result.findings) if (!result.model.index.contains(f.range)) return `${f.ruleId} range outside the document`;
  const plan = planFixes(result.findings);
  if (plan.document.length > 0) {
    const fixed = applyEdits(text, plan.document);
    const again = lint({ ...input, text: fixed });
    for (const f of plan.applied) if (again.findings.some((g) => g.fingerprint === f.fingerprint)) return `safe fix for ${f.ruleId} did not remove it`;
    const twice = applyEdits(fixed, planFixes(again.findings).document);
    const third = lint({ ...input, text: twice });
    if (planFixes(third.findings).applied.some((f) => plan.applied.some((g) => g.fingerprint === f.fingerprint))) return 'safe fixes are not idempotent';
  }
  return undefined;
}

export function runFuzz(count: number, seed: number, maxMs: number, deadlineMs = 5000): { runs: number; failures: FuzzFailure[] } {
  const files = corpusFiles();
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const failures: FuzzFailure[] = [];
  const r = rng(seed);
  const policies = [defaultPolicy(), strictPolicy()];
  const until = Date.now() + maxMs;
  let runs = 0;
  for (; runs < count && Date.now() < until && texts.length > 0; runs++) {
    const k = Math.floor(r() * texts.length);
    let text = texts[k]!;
    for (let m = 0; m < 1 + Math.floor(r() * 3); m++) text = mutate(text, r);
    const problem = checkOne(text, policies[runs % 2]!, deadlineMs);
    if (problem) failures.push({ seed, file: files[k]!, problem, text });
  }
  return { runs, failures };
}
