// The Dockerfile injection grammar (syntaxes/). Always: the JSON's structure, and every regex compiled as a
// JS RegExp after translating the Oniguruma-only parts, tried on sample lines. With vscode-textmate and
// vscode-oniguruma (from node_modules, or from the code-server that test/e2e/setup.sh installs, which ships
// both plus VS Code's own dockerfile and shell grammars), real tokenization on top of the base grammar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { grammars: Array<{ scopeName: string; path: string; injectTo?: string[]; embeddedLanguages?: Record<string, string> }> };
};
const contribution = pkg.contributes.grammars.find((g) => g.scopeName === 'plimsoll.dockerfile.injection');
assert.ok(contribution, 'package.json contributes the injection grammar');
const grammarPath = join(root, contribution.path);

interface Rule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  while?: string;
  name?: string;
  contentName?: string;
  patterns?: Rule[];
  captures?: Record<string, Rule>;
  beginCaptures?: Record<string, Rule>;
  endCaptures?: Record<string, Rule>;
  repository?: Record<string, Rule>;
}
interface Grammar extends Rule {
  scopeName: string;
  injectionSelector: string;
  repository: Record<string, Rule>;
}
const grammar = JSON.parse(readFileSync(grammarPath, 'utf8')) as Grammar;

/** Oniguruma -> JS, for the constructs this grammar uses. Returns undefined when a regex cannot be translated. */
function toJs(source: string, beginSample?: string): RegExp | undefined {
  let flags = '';
  let s = source;
  if (s.includes('(?i:')) {
    // JS (Node 20) has no inline modifiers: make the whole regex case-insensitive, a superset good enough here.
    s = s.replaceAll('(?i:', '(?:');
    flags += 'i';
  }
  s = s.replaceAll('\\A', '^').replaceAll('\\G', '(?:)').replaceAll('\\z', '$');
  // End patterns refer to the begin captures (`\8`): stand in a sample delimiter.
  if (beginSample !== undefined) s = s.replace(/\\([1-9])/g, () => beginSample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  try {
    return new RegExp(s, flags);
  } catch {
    return undefined;
  }
}

function* walk(rule: Rule, path: string): Generator<[string, Rule]> {
  yield [path, rule];
  for (const [i, p] of (rule.patterns ?? []).entries()) yield* walk(p, `${path}.patterns[${i}]`);
  for (const key of ['captures', 'beginCaptures', 'endCaptures'] as const) {
    for (const [k, c] of Object.entries(rule[key] ?? {})) yield* walk(c, `${path}.${key}[${k}]`);
  }
  for (const [k, r] of Object.entries(rule.repository ?? {})) yield* walk(r, `${path}.repository.${k}`);
}

test('grammar: contribution and structure', () => {
  assert.deepEqual(contribution.injectTo, ['source.dockerfile']);
  assert.equal(contribution.embeddedLanguages?.['meta.embedded.block.shell'], 'shellscript');
  assert.match(grammar.injectionSelector, /^L:source\.dockerfile\b/);
  // Heredoc bodies, strings and comments must not get pragmas or nested heredocs injected.
  for (const excluded of ['-meta.heredoc', '-string', '-comment']) assert.ok(grammar.injectionSelector.includes(excluded), excluded);
  for (const [path, rule] of walk(grammar, '$')) {
    if (rule.include) {
      const inc = rule.include;
      assert.ok(inc === '$self' || inc === 'source.shell' || (inc.startsWith('#') && inc.slice(1) in grammar.repository), `${path}: include ${inc}`);
    }
    if (rule.begin !== undefined) assert.ok(rule.end !== undefined || rule.while !== undefined, `${path}: begin without end`);
    // The top level `name` is a display name, not a scope.
    for (const name of path === '$' ? [] : [rule.name, rule.contentName]) {
      if (name !== undefined) assert.match(name, /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*(?: [a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*)*$/, `${path}: scope ${name}`);
    }
  }
});

test('grammar: every regex compiles (translated to JS)', () => {
  let count = 0;
  for (const [path, rule] of walk(grammar, '$')) {
    for (const key of ['match', 'begin', 'end', 'while'] as const) {
      const src = rule[key];
      if (src === undefined) continue;
      count++;
      assert.ok(toJs(src, key === 'end' || key === 'while' ? 'EOF' : undefined), `${path}.${key} does not compile: ${src}`);
    }
  }
  assert.ok(count >= 10, `only ${count} regexes found`);
});

const repo = grammar.repository;
const rx = (rule: Rule | undefined, key: 'match' | 'begin' | 'end' = 'match', sample?: string): RegExp => {
  const src = rule?.[key];
  assert.ok(src, `rule has ${key}`);
  const r = toJs(src, sample);
  assert.ok(r);
  return r;
};

test('grammar: pragmas match exactly what the engine reads', () => {
  const pragma = rx(repo.pragma);
  const yes = [
    '# plimsoll ignore=PL101',
    '  # plimsoll ignore=PL101,PL302 reason="legacy base, INC-42"',
    '#plimsoll ignore = PL101 , PL302 reason=ticket-7',
    '# plimsoll global ignore=PL304 reason="digests come later"',
    '# hadolint ignore=DL3006,DL3007',
    '# PLIMSOLL IGNORE=pl101',
  ];
  const no = ['# plimsoll ignore=', '# plimsoll please ignore=PL101', '# plimsoll ignore=PL101 reason="x" trailing', 'RUN # plimsoll ignore=PL101', '# eslint ignore=PL101'];
  for (const line of yes) assert.ok(pragma.test(line), line);
  for (const line of no) assert.ok(!pragma.test(line), line);
  const m = pragma.exec('# plimsoll ignore=PL101,PL302 reason="legacy"');
  assert.equal(m?.[7], 'PL101,PL302');
  assert.equal(m?.[10], '"legacy"');
});

test('grammar: parser directives only as leading `# name=value` lines', () => {
  const begin = rx(repo.directives, 'begin');
  const end = rx(repo.directives, 'end');
  const line = rx(repo.directives?.patterns?.[0]);
  assert.ok(begin.test('# syntax=docker/dockerfile:1.7'));
  assert.ok(begin.test('#  escape = `'));
  assert.ok(!begin.test('FROM node:20'));
  assert.ok(!begin.test('# a comment'));
  assert.ok(!end.test('# check=skip=JSONArgsRecommended;error=true'), 'another directive keeps the block open');
  assert.ok(end.test('FROM node:20'), 'an instruction ends it');
  assert.ok(end.test(''), 'an empty line ends it');
  assert.equal(line.exec('# check=skip=all')?.[5], 'skip=all');
});

test('grammar: heredoc openers and terminators', () => {
  const rules = repo.heredoc?.patterns ?? [];
  assert.equal(rules.length, 6);
  const opener = (text: string): number => rules.findIndex((r) => rx(r, 'begin').test(text));
  // 0/1: RUN <<EOF (shell script); 2/3: RUN cmd <<EOF (data); 4/5: COPY/ADD. Even: <<-, odd: <<.
  assert.equal(opener('RUN <<EOF'), 1);
  assert.equal(opener('RUN --mount=type=cache,target=/root/.cache <<-"EOF"'), 0);
  assert.equal(opener("run <<'SCRIPT'"), 1);
  assert.equal(opener('RUN cat <<EOF > /etc/app.conf'), 3);
  assert.equal(opener('RUN python3 <<-EOF'), 2);
  assert.equal(opener('COPY --chmod=755 <<EOF /usr/local/bin/hello'), 5);
  assert.equal(opener('ONBUILD ADD <<-X /x'), 4);
  assert.equal(opener('RUN cat <<<"here-string"'), -1);
  assert.equal(opener('RUN echo $((1 << 2))'), -1);
  assert.equal(opener('ENV X=<<EOF'), -1);
  const m = rx(rules[1], 'begin').exec('RUN <<"EOF"');
  assert.deepEqual([m?.[6], m?.[7], m?.[8], m?.[9]], ['<<', '"', 'EOF', '"']);
  const plainEnd = rx(rules[1], 'end', 'EOF');
  const dashEnd = rx(rules[0], 'end', 'EOF');
  assert.ok(plainEnd.test('EOF'));
  assert.ok(!plainEnd.test('\tEOF'), '<< needs the delimiter at column 0');
  assert.ok(dashEnd.test('\t\tEOF'), '<<- strips tabs');
  assert.ok(!plainEnd.test('EOFX'));
});

// ---- real tokenization, when vscode-textmate and vscode-oniguruma can be found

const codeServerVscode = join(process.env.PLIMSOLL_E2E_CACHE ?? join(homedir(), '.cache', 'plimsoll-e2e'), 'code-server', 'node_modules', 'code-server', 'lib', 'vscode');

function resolveFrom(name: string): string | undefined {
  for (const base of [root, codeServerVscode]) {
    try {
      return require.resolve(name, { paths: [base] });
    } catch {
      // next
    }
  }
  return undefined;
}

const textmatePath = resolveFrom('vscode-textmate');
const onigPath = resolveFrom('vscode-oniguruma');
const baseGrammarPath = join(codeServerVscode, 'extensions', 'docker', 'syntaxes', 'docker.tmLanguage.json');
const shellGrammarPath = join(codeServerVscode, 'extensions', 'shellscript', 'syntaxes', 'shell-unix-bash.tmLanguage.json');
const skipReal = !textmatePath || !onigPath ? 'vscode-textmate / vscode-oniguruma not installed (npm i -D vscode-textmate@9 vscode-oniguruma@2, or run test/e2e/setup.sh)' : false;

/** The slice of vscode-textmate and vscode-oniguruma used here (they are optional, so no import types). */
interface TokenizeResult {
  tokens: Array<{ startIndex: number; endIndex: number; scopes: string[] }>;
  ruleStack: unknown;
}
interface TextMate {
  INITIAL: unknown;
  parseRawGrammar(content: string, filePath: string): unknown;
  Registry: new (options: {
    onigLib: Promise<unknown>;
    loadGrammar(scope: string): Promise<unknown>;
    getInjections(scope: string): string[] | undefined;
  }) => { loadGrammar(scope: string): Promise<{ tokenizeLine(line: string, stack: unknown): TokenizeResult } | null> };
}
interface Oniguruma {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (s: string) => unknown;
}

/** Minimal stand-ins when VS Code's own grammars are not on disk. */
const stubDocker = {
  scopeName: 'source.dockerfile',
  patterns: [
    { match: '^\\s*(?i:(ONBUILD)\\s+)?(?i:(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|FROM|HEALTHCHECK|LABEL|RUN|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR))\\s', captures: { 2: { name: 'keyword.other.special-method.dockerfile' } } },
    { begin: '"', end: '"', name: 'string.quoted.double.dockerfile' },
    { begin: "'", end: "'", name: 'string.quoted.single.dockerfile' },
    { match: '^(\\s*)((#).*$\\n?)', captures: { 2: { name: 'comment.line.number-sign.dockerfile' } } },
  ],
};
const stubShell = { scopeName: 'source.shell', patterns: [{ match: '\\b(echo|set|apt-get)\\b', name: 'support.function.builtin.shell' }, { match: '#.*$', name: 'comment.line.number-sign.shell' }] };

test('grammar: real tokenization with vscode-textmate', { skip: skipReal }, async () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const tm = require(textmatePath!) as TextMate;
  const onig = require(onigPath!) as Oniguruma;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const wasm = readFileSync(join(onigPath!, '..', 'onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const realBase = existsSync(baseGrammarPath) && existsSync(shellGrammarPath);
  const sources: Record<string, unknown> = {
    'source.dockerfile': realBase ? JSON.parse(readFileSync(baseGrammarPath, 'utf8')) : stubDocker,
    'source.shell': realBase ? JSON.parse(readFileSync(shellGrammarPath, 'utf8')) : stubShell,
    'plimsoll.dockerfile.injection': grammar,
  };
  const registry = new tm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new onig.OnigScanner(p), createOnigString: (s: string) => new onig.OnigString(s) }),
    loadGrammar: (scope: string) => Promise.resolve(sources[scope] ? tm.parseRawGrammar(JSON.stringify(sources[scope]), `${scope}.json`) : null),
    getInjections: (scope: string) => (scope === 'source.dockerfile' ? ['plimsoll.dockerfile.injection'] : undefined),
  });
  const dockerfile = await registry.loadGrammar('source.dockerfile');
  assert.ok(dockerfile);

  const text = [
    '# syntax=docker/dockerfile:1.7',
    '# check=error=true',
    '# escape=\\', // not a directive any more? it is: still in the leading run
    'FROM node:20 AS build',
    '# plimsoll ignore=PL302,PL304 reason="pinned by renovate"',
    'FROM node:latest',
    '# syntax=late/ignored',
    'RUN <<EOF',
    "echo 'it''s shell'",
    '# plimsoll ignore=PL101',
    'EOF',
    'COPY <<-CONF /etc/app.conf',
    '\tkey = "value',
    '\tCONF',
    'RUN echo done',
    'RUN cat <<EOF > /etc/motd',
    "it's $USER's box",
    'EOF',
    'USER node',
  ];
  let stack = tm.INITIAL;
  const lines: Array<Array<{ text: string; scopes: string[] }>> = [];
  for (const line of text) {
    const r = dockerfile.tokenizeLine(line, stack);
    lines.push(r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes })));
    stack = r.ruleStack;
  }
  const scopesOf = (line: number, tokenText: string): string[] => {
    const tok = lines[line]!.find((t) => t.text === tokenText);
    assert.ok(tok, `line ${line + 1}: no token ${JSON.stringify(tokenText)} in ${JSON.stringify(lines[line]!.map((t) => t.text))}`);
    return tok.scopes;
  };
  const has = (line: number, tokenText: string, scope: string): void => {
    const scopes = scopesOf(line, tokenText);
    assert.ok(scopes.some((s) => s.split(' ').includes(scope)), `line ${line + 1} ${JSON.stringify(tokenText)}: ${scopes.join(' ')} lacks ${scope}`);
  };
  const lacks = (line: number, tokenText: string, scope: string): void => {
    const scopes = scopesOf(line, tokenText);
    assert.ok(!scopes.some((s) => s.startsWith(scope)), `line ${line + 1} ${JSON.stringify(tokenText)}: ${scopes.join(' ')} has ${scope}`);
  };

  has(0, 'syntax', 'keyword.other.directive.dockerfile');
  has(0, 'docker/dockerfile:1.7', 'string.unquoted.directive-value.dockerfile');
  has(1, 'check', 'keyword.other.directive.dockerfile');
  has(2, 'escape', 'keyword.other.directive.dockerfile');
  has(4, 'plimsoll', 'keyword.other.pragma.plimsoll');
  has(4, 'PL302', 'constant.other.rule-id.plimsoll');
  has(4, 'PL304', 'constant.other.rule-id.plimsoll');
  has(4, 'pinned by renovate', 'string.quoted.double.reason.plimsoll');
  has(4, '"', 'punctuation.definition.string.begin.plimsoll');
  lacks(6, ' syntax=late/ignored', 'keyword.other.directive');
  has(6, ' syntax=late/ignored', 'comment.line.number-sign.dockerfile');
  has(7, 'RUN', 'keyword.other.special-method.dockerfile');
  has(7, 'EOF', 'entity.name.tag.heredoc.dockerfile');
  for (const l of [8, 9]) assert.ok(lines[l]!.every((t) => t.scopes.includes('meta.embedded.block.shell')), `line ${l + 1} is shell`);
  assert.ok(lines[9]!.every((t) => !t.scopes.some((s) => s.includes('pragma'))), 'no pragma inside a heredoc body');
  has(10, 'EOF', 'entity.name.tag.heredoc.dockerfile');
  has(12, '\tkey = "value', 'string.unquoted.heredoc.dockerfile');
  has(13, 'CONF', 'entity.name.tag.heredoc.dockerfile');
  // After the heredocs the base grammar is back (the unbalanced quote inside the body did not leak).
  has(14, 'RUN', 'keyword.other.special-method.dockerfile');
  lacks(14, 'echo done', 'string');
  has(15, ' cat ', 'meta.heredoc.dockerfile');
  if (realBase) has(15, '>', 'keyword.operator.redirect.shell');
  has(16, "it's $USER's box", 'string.unquoted.heredoc.dockerfile');
  has(17, 'EOF', 'entity.name.tag.heredoc.dockerfile');
  has(18, 'USER', 'keyword.other.special-method.dockerfile');
  if (!realBase) process.stdout.write('# note: used stub base grammars; run test/e2e/setup.sh for VS Code\'s own\n');
});
