// Answers kept across lints by text (core/textCache.ts and its users): the same text under other patterns,
// names or globs gets its own answer, shared answers cannot be changed, and lints agree with fresh scans.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TextCache, ownCopy } from '../../server/src/core/textCache.ts';
import {
  SensitiveFiles,
  findSecrets,
  isSecretAssignmentName,
  mayNameSecret,
  secretFinder,
  secretPatterns,
  sensitiveFilesFor,
} from '../../server/src/core/secrets.ts';
import { buildModel } from '../../server/src/core/model.ts';
import { runCommands, splitShell } from '../../server/src/core/shell.ts';
import { lint } from '../../server/src/core/lint.ts';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';

// A fake npm token: the right shape, never issued.
const NPM = 'npm_moX98H7ZIeUVTj08VCc8TqL19KSXjS4wnoc7';

describe('TextCache', () => {
  test('computes once per text, on a copy that equals the text', () => {
    const seen: string[] = [];
    const cache = new TextCache((t) => {
      seen.push(t);
      return t.length;
    });
    const doc = `FROM alpine\nRUN echo hello world and more\n`;
    assert.equal(cache.get(doc.slice(12, 40)), 28);
    assert.equal(cache.get(`${doc}x`.slice(12, 40)), 28);
    assert.deepEqual(seen, [doc.slice(12, 40)]);
    assert.equal(ownCopy(doc), doc);
  });
});

describe('secretFinder', () => {
  const acme: Policy['secrets']['patterns'] = [{ id: 'acme', description: 'ACME token', regex: 'acme_[a-z0-9]{32}' }];
  const text = `RUN curl -H "x: acme_${'a1b2c3d4'.repeat(4)}" && DB_PASSWORD=Sup3rS3cretValue9 ./run ${NPM}`;

  test('answers as findSecrets does, per pattern list and per options', () => {
    const plain = secretPatterns();
    const withAcme = secretPatterns(acme);
    const cases: Array<[ReturnType<typeof secretPatterns>, { allowedNames?: string[]; escapeChar?: string }]> = [
      [plain, {}],
      [withAcme, {}],
      [plain, { allowedNames: ['DB_*'] }],
      [withAcme, { allowedNames: ['DB_*'], escapeChar: '`' }],
    ];
    // Twice over, so that the second round is answered from the caches.
    for (let round = 0; round < 2; round++) {
      for (const [patterns, options] of cases) {
        assert.deepEqual([...secretFinder(patterns, options)(text)], findSecrets(text, patterns, options), JSON.stringify(options));
      }
    }
    const ids = (patterns: ReturnType<typeof secretPatterns>, options = {}) => secretFinder(patterns, options)(text).map((m) => m.patternId);
    assert.deepEqual(ids(plain), ['generic-secret', 'npm-token']);
    assert.deepEqual(ids(withAcme), ['policy:acme', 'generic-secret', 'npm-token']);
    assert.deepEqual(ids(plain, { allowedNames: ['DB_*'] }), ['npm-token']);
  });

  test('a shared answer cannot be changed by a caller', () => {
    const find = secretFinder(secretPatterns(), {});
    const first = find(text);
    assert.ok(Object.isFrozen(first) && first.every((m) => Object.isFrozen(m)));
    assert.throws(() => (first as unknown[]).push({}));
    assert.throws(() => {
      (first[0] as { value: string }).value = 'changed';
    });
    assert.deepEqual([...find(text)], findSecrets(text, secretPatterns()));
  });

  test('policies without patterns of their own share one compiled list', () => {
    assert.equal(secretPatterns([]), secretPatterns());
    assert.notEqual(secretPatterns(acme), secretPatterns());
  });
});

describe('sensitive files', () => {
  test('each glob set answers for itself; answers are frozen', () => {
    const builtin = sensitiveFilesFor([]);
    const extra = sensitiveFilesFor(['*.sqlite']);
    assert.equal(sensitiveFilesFor([]), builtin);
    for (let round = 0; round < 2; round++) {
      assert.equal(builtin.matchLiteral('db/app.sqlite'), undefined);
      assert.equal(extra.matchLiteral('db/app.sqlite')?.path, 'db/app.sqlite');
      assert.equal(builtin.match('conf/.env')?.what, 'environment file');
      assert.equal(builtin.match('.git/config')?.kind, 'folder');
    }
    const hit = builtin.match('conf/.env')!;
    assert.ok(Object.isFrozen(hit));
    assert.deepEqual(hit, new SensitiveFiles().match('conf/.env'));
  });
});

describe('shell splits', () => {
  test('the same RUN text at other places in other files maps to its own positions', () => {
    const run = 'RUN apt-get update && apt-get install -y curl';
    const a = buildModel(`FROM debian:12\n${run}\n`);
    const b = buildModel(`FROM debian:12\nWORKDIR /x\n\n  ${run}\n`);
    const words = (m: ReturnType<typeof buildModel>) =>
      runCommands(m, m.instructions.find((i) => i.keyword === 'RUN')!).map((c) => c.words.map((w) => `${w.value}@${w.range.start.line}:${w.range.start.character}`));
    assert.deepEqual(words(a), [['apt-get@1:4', 'update@1:12'], ['apt-get@1:22', 'install@1:30', '-y@1:38', 'curl@1:41']]);
    assert.deepEqual(words(b), [['apt-get@3:6', 'update@3:14'], ['apt-get@3:24', 'install@3:32', '-y@3:40', 'curl@3:43']]);
  });

  test('splitShell itself still hands out a fresh answer', () => {
    const s = splitShell('apt-get update');
    assert.ok(!Object.isFrozen(s));
    s.commands.push(s.commands[0]!);
    assert.equal(splitShell('apt-get update').commands.length, 1);
  });
});

describe('mayNameSecret', () => {
  // Names the parser builds by dropping quotes and escapes: each must still be let through.
  const texts = [
    'ENV TOKEN=x',
    'ENV "TOK"EN=abc',
    "LABEL 'pass'word=1",
    'ENV PASS\\WORD=abcdefgh',
    'ARG t\\o\\k\\e\\n=1',
    'ENV A=1 "DB_PA"SS=2',
    'ENV TOK\\\n  EN=abcdef',
    'ENV TOK\\\n# note\nEN=abcdef',
  ];

  test('never hides an entry whose name is secret-like', () => {
    for (const t of texts) {
      for (const esc of ['\\', '`']) {
        const text = esc === '`' ? t.replaceAll('\\', '`') : t;
        const m = buildModel(`${esc === '`' ? '# escape=`\n' : ''}FROM alpine\n${text}\n`);
        for (const instr of m.instructions.filter((i) => i.keyword !== 'FROM')) {
          const secretLike = instr.properties.some((p) => isSecretAssignmentName(p.name.replace(/^["']|["']$/g, ''), []));
          if (secretLike) assert.ok(mayNameSecret(instr.text, m.escapeChar), JSON.stringify(instr.text));
        }
      }
    }
  });

  test('skips texts that cannot name a secret', () => {
    assert.equal(mayNameSecret('ENV VAR_7=rikmlstx', '\\'), false);
    assert.equal(mayNameSecret('LABEL org.example.k10="qxqwazsmbpjk"', '\\'), false);
    assert.equal(mayNameSecret('LABEL "pa"ss=x', '\\'), true);
  });
});

describe('lint with kept answers', () => {
  test('the same text under two policies, linted in turn, gets each policy’s findings', () => {
    const text = `FROM alpine:3.20\nENV DB_PASSWORD=Sup3rS3cretValue9\nRUN echo acme_${'z9y8x7w6'.repeat(4)}\n`;
    const strict: Policy = { ...defaultPolicy(), secrets: { patterns: [{ id: 'acme', description: 'ACME token', regex: 'acme_[a-z0-9]{32}' }], allowedNames: [], sensitiveFiles: [] } };
    const lenient: Policy = { ...defaultPolicy(), secrets: { patterns: [], allowedNames: ['DB_*'], sensitiveFiles: [] } };
    const ids = (policy: Policy) =>
      lint({ text, policy, today: '2025-01-01' })
        .findings.filter((f) => f.ruleId === 'PL402')
        .map((f) => `${f.range.start.line}:${f.fingerprint.length > 0}`);
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(ids(strict), ['1:true', '2:true']);
      assert.deepEqual(ids(lenient), []);
      assert.deepEqual(ids(defaultPolicy()), ['1:true']);
    }
  });
});
