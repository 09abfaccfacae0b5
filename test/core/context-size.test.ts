// `.dockerignore` matching (moby patternmatcher semantics) and what one COPY/ADD takes from the context.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, contextSources, filesForSource, type BuildContextFacts } from '../../server/src/core/context.ts';
import { buildModel } from '../../server/src/core/model.ts';
import { formatBytes, formatCount } from '../../server/src/core/units.ts';
import { lint, type LintInput } from '../../server/src/core/lint.ts';
import { defaultPolicy, type Policy } from '../../server/src/core/policy.ts';
import { sizeRules } from '../../server/src/rules/sizeRules.ts';

function ignored(dockerignore: string, paths: string[]): string[] {
  const m = new IgnoreMatcher(dockerignore);
  return paths.filter((p) => m.ignores(p));
}

describe('IgnoreMatcher', () => {
  test('a plain name matches that path exactly and everything under it', () => {
    assert.deepEqual(ignored('node_modules\n', ['node_modules/a/index.js', 'node_modules', 'src/node_modules/x', 'node_modules2/x']), [
      'node_modules/a/index.js',
      'node_modules',
    ]);
  });

  test('`dir/**` takes everything under dir (a prefix match)', () => {
    assert.deepEqual(ignored('build/**\n', ['build/a.o', 'build/x/y/z.o', 'buildx/a', 'src/build/a']), ['build/a.o', 'build/x/y/z.o']);
    assert.deepEqual(ignored('logs**\n', ['logs/a', 'logs-old/b', 'x/logs/c']), ['logs/a', 'logs-old/b']);
    assert.deepEqual(ignored('*/cache/**\n', ['a/cache/x', 'a/b/cache/x', 'cache/x']), ['a/cache/x']);
  });

  test('`**/x` matches x at any depth; `**x` is a plain suffix', () => {
    assert.deepEqual(ignored('**/*.log\n', ['a.log', 'x/y/b.log', 'c.log.txt']), ['a.log', 'x/y/b.log']);
    assert.deepEqual(ignored('**/.env\n', ['.env', 'app/.env', 'app/x.env']), ['.env', 'app/.env']);
    assert.deepEqual(ignored('**.bak\n', ['a.bak', 'x/y.bak', 'bak']), ['a.bak', 'x/y.bak']);
    assert.deepEqual(ignored('**\n', ['a', 'b/c']), ['a', 'b/c']);
  });

  test('`*` and `?` stay within one segment', () => {
    assert.deepEqual(ignored('*.md\nsrc/?.ts\n', ['README.md', 'docs/a.md', 'src/a.ts', 'src/ab.ts', 'src/x/a.ts']), ['README.md', 'src/a.ts']);
  });

  test('exceptions re-include, later patterns win', () => {
    const text = '*.md\n!README.md\ndocs\n!docs/keep\n';
    assert.deepEqual(ignored(text, ['CHANGES.md', 'README.md', 'docs/a.txt', 'docs/keep', 'docs/keep/x']), ['CHANGES.md', 'docs/a.txt']);
  });

  test('comments only in column 0; blank lines, leading slash, ./ and a BOM are handled like moby', () => {
    const text = '\uFEFF# comment\n\n  # not-a-comment\n/secret.txt\n./tmp/\n  !  tmp/keep  \r\n';
    assert.deepEqual(ignored(text, ['# comment', '# not-a-comment', 'secret.txt', 'tmp/a', 'tmp/keep']), ['# not-a-comment', 'secret.txt', 'tmp/a']);
  });

  test('character classes are Go regexp classes: `[^a]` negates, `[!a]` is literal', () => {
    assert.deepEqual(ignored('file[0-9].txt\n', ['file1.txt', 'filex.txt']), ['file1.txt']);
    assert.deepEqual(ignored('x[^a]\n', ['xa', 'xb']), ['xb']);
    assert.deepEqual(ignored('y[!a]\n', ['ya', 'yb', 'y!']), ['ya', 'y!']);
  });

  test('regexp metacharacters in names are literal', () => {
    assert.deepEqual(ignored('a.b\nc+d(1)\n', ['a.b', 'axb', 'c+d(1)']), ['a.b', 'c+d(1)']);
  });

  test('no ignore file ignores nothing', () => {
    assert.deepEqual(ignored('', ['a']), []);
    assert.equal(new IgnoreMatcher(undefined).ignores('a'), false);
  });
});

function sourcesOf(dockerfile: string): string[][] {
  const m = buildModel(dockerfile);
  return m.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => contextSources(i).map((s) => s.source));
}

describe('contextSources', () => {
  test('every argument but the destination, in shell and JSON form, across continuations', () => {
    assert.deepEqual(sourcesOf('FROM a:1\nCOPY --chown=1:1 --link package.json yarn.lock ./\nCOPY ["my dir", "b", "/dst/"]\nCOPY a \\\n  b \\\n  /dst/\n'), [
      ['package.json', 'yarn.lock'],
      ['my dir', 'b'],
      ['a', 'b'],
    ]);
  });

  test('no context sources from other stages, URLs or git', () => {
    assert.deepEqual(sourcesOf('FROM a:1\nCOPY --from=build /out /out\nADD https://example.com/a.tgz /opt/\nADD git@github.com:a/b.git /src\nADD local.tgz https://x.org/y /opt/\n'), [
      [],
      [],
      [],
      ['local.tgz'],
    ]);
  });

  test('heredoc bodies and the destination are not sources', () => {
    const text = 'FROM a:1\nCOPY <<EOF /etc/config\nhello world\nEOF\nCOPY <<EOF src2 /dst/\nhello world\nEOF\nCOPY <<EOF /etc/empty\nEOF\n';
    assert.deepEqual(sourcesOf(text), [[], ['src2'], []]);
  });
});

describe('filesForSource', () => {
  const facts: BuildContextFacts = {
    files: [
      { path: '.dockerignore', size: 40 },
      { path: 'Dockerfile', size: 300 },
      { path: 'package.json', size: 1_200 },
      { path: 'src/index.ts', size: 5_000 },
      { path: 'src/lib/util.ts', size: 2_000 },
      { path: 'src/lib/util.test.ts', size: 2_500 },
      { path: 'docs/a.md', size: 800 },
      { path: 'node_modules/left-pad/index.js', size: 90_000 },
      { path: '[x].txt', size: 7 },
      { path: 'x.txt', size: 9 },
    ],
    dockerignore: { text: 'node_modules\n**/*.test.ts\n', file: '.dockerignore', exists: true },
  };
  const ignore = new IgnoreMatcher(facts.dockerignore!.text);
  const take = (source: string) => filesForSource(source, facts, ignore).map((f) => f.path).sort();

  test('`.` takes the whole context minus ignored files', () => {
    assert.deepEqual(take('.'), ['.dockerignore', 'Dockerfile', '[x].txt', 'docs/a.md', 'package.json', 'src/index.ts', 'src/lib/util.ts', 'x.txt']);
    assert.deepEqual(take('./'), take('.'));
  });

  test('a folder takes its tree; a file itself; paths are cleaned and kept inside the context', () => {
    assert.deepEqual(take('src/'), ['src/index.ts', 'src/lib/util.ts']);
    assert.deepEqual(take('./src/lib/../lib'), ['src/lib/util.ts']);
    assert.deepEqual(take('package.json'), ['package.json']);
    assert.deepEqual(take('/package.json'), ['package.json']);
    assert.deepEqual(take('../package.json'), ['package.json']);
    assert.deepEqual(take('missing'), []);
    assert.deepEqual(take('node_modules'), []);
  });

  test('globs match at their depth and a matched folder brings its tree', () => {
    assert.deepEqual(take('*.json'), ['package.json']);
    assert.deepEqual(take('src/*'), ['src/index.ts', 'src/lib/util.ts']);
    assert.deepEqual(take('s?c'), ['src/index.ts', 'src/lib/util.ts']);
    assert.deepEqual(take('[!x].txt'), ['x.txt']);
    assert.deepEqual(take('[^x].txt'), []);
    assert.deepEqual(take('[xy].txt'), ['x.txt']);
  });
});

describe('formatBytes', () => {
  test('decimal units, one decimal, no trailing .0', () => {
    assert.deepEqual([0, 999, 1000, 1049, 1_550, 2_000, 48_210_000, 999_940, 999_960, 3_500_000_000, 7e12].map(formatBytes), [
      '0 B',
      '999 B',
      '1 kB',
      '1 kB',
      '1.6 kB',
      '2 kB',
      '48.2 MB',
      '999.9 kB',
      '1 MB',
      '3.5 GB',
      '7 TB',
    ]);
  });
});

describe('formatCount', () => {
  test("groups digits as toLocaleString('en') does", () => {
    for (const n of [0, 7, 999, 1000, 12_345, 123_456, 1_000_000, 2_097_152, 9_876_543_210, -1234, -12]) assert.equal(formatCount(n), n.toLocaleString('en'), String(n));
  });
});

// The size rules over inline Dockerfiles: what golden fixtures cannot show (fix applicability, truncated walks).
describe('size rules', () => {
  const budget = (bytes: number): Policy => ({ ...defaultPolicy(), sizes: { copyContext: bytes } });
  const ctx: BuildContextFacts = {
    files: [
      { path: 'app/main.py', size: 1_500 },
      { path: 'app/data/big.bin', size: 3_000 },
      { path: 'notes.md', size: 100 },
    ],
  };
  const findings = (text: string, input: Partial<LintInput> = {}) =>
    lint({ text, today: '2026-06-15', rules: sizeRules, ...input }).findings.map((f) => ({ id: f.ruleId, at: `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}`, fixes: f.fixes.map((x) => x.applicability), message: f.message }));

  test('PL501 sums every source once, is silent without a budget or context, and notes a truncated walk', () => {
    const text = 'FROM python:3.12.4-slim\nCOPY app app/main.py notes.md /srv/\n';
    const over = findings(text, { policy: budget(4_000), buildContext: ctx });
    assert.deepEqual(over.map((f) => [f.id, f.at]), [['PL501', '1:5-1:29']]);
    assert.ok(over[0]!.message.includes(formatBytes(4_600)));
    assert.deepEqual(findings(text, { policy: budget(4_600), buildContext: ctx }), []);
    assert.deepEqual(findings(text, { buildContext: ctx }), []);
    assert.deepEqual(findings(text, { policy: budget(10) }), []);
    const truncated = findings(text, { policy: budget(4_000), buildContext: { ...ctx, truncated: true } });
    assert.deepEqual(truncated.map((f) => f.at), ['1:5-1:29']);
    assert.notEqual(truncated[0]!.message, over[0]!.message);
  });

  test('PL503: the fix is safe unless a later RUN installs without updating', () => {
    const alone = 'FROM debian:12.5-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n';
    assert.deepEqual(findings(alone).map((f) => [f.id, f.fixes]), [['PL503', ['safe']]]);
    const later = `${alone.replace('slim', 'slim AS base')}FROM base\nRUN apt-cache policy curl\n`;
    assert.deepEqual(findings(later).map((f) => [f.id, f.fixes]), [['PL503', ['unsafe']]]);
    const otherStage = `${alone}FROM debian:12.5-slim\nRUN apt-get install -y --no-install-recommends jq\n`;
    assert.deepEqual(findings(otherStage).map((f) => f.fixes), [['safe']]);
    const relisted = `${alone}RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n`;
    assert.deepEqual(findings(relisted).map((f) => [f.id, f.fixes]), [['PL503', ['safe']]]);
    assert.deepEqual(findings(`${alone.replace('curl', 'curl;')}`).map((f) => [f.id, f.fixes]), [['PL503', []]]);
    // Appending would land inside an open quote, or after a line the parser ends the RUN on (`\ \`).
    assert.deepEqual(findings(`${alone.replace('curl', "curl && echo 'done")}`).map((f) => [f.id, f.fixes]), [['PL503', []]]);
    assert.deepEqual(findings('FROM debian:12.5-slim\nRUN apt-get update; \\ \\\n  apt-get install -y --no-install-recommends curl\n').map((f) => f.fixes), [[]]);
  });

  test('PL503/PL504 skip builder stages that are only copied from, but not stages built FROM by a shipped one', () => {
    const text = [
      'FROM alpine:3.20.3 AS base',
      'RUN apk add curl',
      'FROM base AS build',
      'RUN apk add gcc',
      'FROM alpine:3.20.3 AS deps',
      'RUN apk add make',
      'FROM base',
      'COPY --from=build /x /x',
      'RUN --mount=from=deps,target=/d true',
      '',
    ].join('\n');
    assert.deepEqual(findings(text).map((f) => [f.id, f.at]), [['PL504', '1:4-1:11']]);
  });

  test('PL502 and PL504 only read real commands: not strings, comments or data heredocs', () => {
    const text = [
      'FROM debian:12.5-slim',
      'RUN echo "apt-get install curl; pip install x" # apk add y',
      'RUN cat > /tmp/setup.sh <<EOF',
      'apt-get install -y curl',
      'pip install requests',
      'EOF',
      '',
    ].join('\n');
    assert.deepEqual(findings(text), []);
  });
});
