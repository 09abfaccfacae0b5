// Every rule has docs and golden fixtures with at least one finding and one clean file; every fixture's
// expectations and `.fixed` snapshot match, and every fix re-lints without its finding.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from '../server/src/rules/index.ts';
import { lint, type LintInput } from '../server/src/core/lint.ts';
import { buildModel } from '../server/src/core/model.ts';
import { applyEdits, planFixes } from '../server/src/core/fixes.ts';
import { loadPolicy } from '../server/src/policy/load.ts';
import { readBuildContext } from '../server/src/workspace/buildContext.ts';
import type { RegistryFacts } from '../server/src/core/facts.ts';
import {
  expectationKey,
  findingToExpectation,
  parseExpectations,
  stripExpectations,
  writeExpectations,
} from './support/golden.ts';

const FIXTURES = join(__dirname, 'fixtures', 'rules');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const TODAY = '2026-06-15';

interface FixtureOptions {
  buildArgs?: Record<string, string>;
  file?: string;
  today?: string;
}

function inputFor(dir: string, name: string, text: string): LintInput {
  const base = join(dir, name);
  const input: LintInput = { text, today: TODAY };
  const policyFile = existsSync(`${base}.policy.yaml`) ? `${base}.policy.yaml` : join(dir, 'policy.yaml');
  if (existsSync(policyFile)) {
    const { policy, errors } = loadPolicy(policyFile);
    assert.deepEqual(errors.filter((e) => e.severity === 'error'), [], `policy ${policyFile} has errors`);
    input.policy = policy;
  }
  if (existsSync(`${base}.context`)) input.buildContext = readBuildContext(join(`${base}.context`, 'Dockerfile'), { contextDir: `${base}.context` });
  if (existsSync(`${base}.facts.json`)) input.facts = reviveFacts(JSON.parse(readFileSync(`${base}.facts.json`, 'utf8')));
  if (existsSync(`${base}.json`)) {
    const o = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as FixtureOptions;
    if (o.buildArgs) input.buildArgs = o.buildArgs;
    if (o.file) input.file = o.file;
    if (o.today) input.today = o.today;
  }
  return input;
}

function reviveFacts(raw: { images?: Record<string, unknown>; repositories?: Record<string, unknown>; digestExists?: Record<string, boolean> }): RegistryFacts {
  const facts: RegistryFacts = {
    images: new Map(Object.entries(raw.images ?? {})) as RegistryFacts['images'],
    repositories: new Map(Object.entries(raw.repositories ?? {})) as RegistryFacts['repositories'],
  };
  if (raw.digestExists) facts.digestExists = new Map(Object.entries(raw.digestExists));
  return facts;
}

function heredocLines(text: string): (line: number) => boolean {
  const body = new Set<number>();
  for (const i of buildModel(text).instructions) {
    for (const h of i.heredocs) if (h.contentRange) for (let l = h.contentRange.start.line; l <= h.contentRange.end.line; l++) body.add(l);
  }
  return (l) => body.has(l);
}

describe('rule registry', () => {
  test('ids are unique and well formed, docs are complete', () => {
    const ids = new Set<string>();
    for (const r of allRules) {
      assert.match(r.id, /^PL\d{3}$/);
      assert.ok(!ids.has(r.id), `duplicate ${r.id}`);
      ids.add(r.id);
      assert.match(r.name, /^[a-z0-9-]+$/);
      for (const k of ['summary', 'why', 'bad', 'good'] as const) assert.ok(r.docs[k].trim().length > 0, `${r.id} lacks docs.${k}`);
    }
  });
});

for (const rule of allRules) {
  describe(`${rule.id} ${rule.name}`, () => {
    const dir = join(FIXTURES, rule.id);
    const names = existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith('.Dockerfile') && !f.endsWith('.fixed.Dockerfile')).map((f) => f.slice(0, -'.Dockerfile'.length))
      : [];

    test('has fixtures that flag it and fixtures that do not', () => {
      assert.ok(names.length > 0, `no fixtures in ${dir}`);
      const texts = names.map((n) => readFileSync(join(dir, `${n}.Dockerfile`), 'utf8'));
      assert.ok(texts.some((t) => parseExpectations(t).some((e) => e.ruleId === rule.id)), 'no fixture expects a finding');
      assert.ok(names.some((n) => n.startsWith('valid')), 'no valid-* fixture');
    });

    for (const name of names) {
      test(name, () => {
        const path = join(dir, `${name}.Dockerfile`);
        let text = readFileSync(path, 'utf8');
        if (UPDATE) {
          const clean = stripExpectations(text);
          const found = lint(inputFor(dir, name, clean)).findings;
          text = writeExpectations(clean, found, heredocLines(clean));
          writeFileSync(path, text);
        }
        const result = lint(inputFor(dir, name, text));
        const model = result.model;
        for (const f of result.findings) assert.ok(model.index.contains(f.range), `${f.ruleId} range outside the document`);
        const actual = result.findings.map((f) => expectationKey(findingToExpectation(f))).sort();
        const expected = parseExpectations(text).map(expectationKey).sort();
        assert.deepEqual(actual, expected);
        if (name.startsWith('valid')) assert.ok(!result.findings.some((f) => f.ruleId === rule.id), `valid fixture flags ${rule.id}`);

        // Fix snapshot: the first fix of every finding, safe and unsafe alike.
        const plan = planFixes(result.findings, true);
        const fixedPath = join(dir, `${name}.fixed.Dockerfile`);
        const fixed = applyEdits(text, plan.document);
        const sideFiles = [...plan.files.entries()].map(([file, c]) => ({ path: join(dir, `${name}.fixed.${file.replace(/^.*\//, '').replace(/^\./, '')}`), edits: c.edits }));
        if (UPDATE) {
          if (plan.applied.length > 0 && fixed !== text) writeFileSync(fixedPath, fixed);
          else if (existsSync(fixedPath)) unlinkSync(fixedPath);
          for (const s of sideFiles) writeFileSync(s.path, applyEdits('', s.edits));
        }
        if (fixed !== text) assert.equal(fixed, readFileSync(fixedPath, 'utf8'), `${name}.fixed.Dockerfile differs`);
        else assert.ok(!existsSync(fixedPath), `${name}.fixed.Dockerfile exists but no fix changes the file`);
        for (const s of sideFiles) assert.equal(applyEdits('', s.edits), readFileSync(s.path, 'utf8'));

        // Every applied fix makes its finding go away, and applying the safe fixes twice changes nothing more.
        if (plan.document.length > 0) {
          const again = lint(inputFor(dir, name, fixed));
          for (const f of plan.applied) {
            if (!f.fixes[0]!.changes.some((c) => c.file === undefined)) continue;
            assert.ok(!again.findings.some((g) => g.fingerprint === f.fingerprint), `fix for ${f.ruleId} did not remove it`);
          }
        }
        const safe = planFixes(result.findings, false);
        if (safe.document.length > 0) {
          const once = applyEdits(text, safe.document);
          const relinted = lint(inputFor(dir, name, once));
          for (const f of safe.applied) assert.ok(!relinted.findings.some((g) => g.fingerprint === f.fingerprint), `safe fix for ${f.ruleId} is not idempotent`);
        }
      });
    }
  });
}
