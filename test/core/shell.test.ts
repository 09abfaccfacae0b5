import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { splitShell, runScripts, runCommands, programIndex, type ShellScript } from '../../server/src/core/shell.ts';
import { buildModel, type DockerfileModel, type Instr } from '../../server/src/core/model.ts';

/** Each command as `after|word word`, values only. */
function shape(s: ShellScript): string[] {
  return s.commands.map((c) => `${c.after === '\n' ? '\\n' : c.after}|${[...c.assignments, ...c.words].map((w) => w.value).join(' ')}`);
}

function words(text: string): string[][] {
  return splitShell(text).commands.map((c) => c.words.map((w) => w.value));
}

describe('splitShell', () => {
  test('splits on list and pipeline operators', () => {
    assert.deepEqual(shape(splitShell('a 1 && b 2 || c; d | e & f |& g')), ['|a 1', '&&|b 2', '|||c', ';|d', '||e', '&|f', '||g']);
  });

  test('keeps quoted operators, substitutions and parameter expansions inside their word', () => {
    assert.deepEqual(words(`echo "a && b" 'c; d' $(x && y) \${v:-a;b} \`p | q\` e\\;f`), [
      ['echo', 'a && b', 'c; d', '$(x && y)', '${v:-a;b}', '`p | q`', 'e;f'],
    ]);
  });

  test('nested substitutions and quotes inside them', () => {
    assert.deepEqual(words(`x "$(a "$(b ')')" )" && y`), [['x', `$(a "$(b ')')" )`], ['y']]);
    assert.deepEqual(words('echo $((1 + (2 * 3))); z'), [['echo', '$((1 + (2 * 3)))'], ['z']]);
  });

  test('removes quotes and escapes from values and flags quoting', () => {
    const [cmd] = splitShell(`rm -rf "/var/lib/apt/lists/"* '/tmp/*' a\\ b`).commands;
    assert.deepEqual(cmd!.words.map((w) => [w.value, w.quoted]), [
      ['rm', false],
      ['-rf', false],
      ['/var/lib/apt/lists/*', true],
      ['/tmp/*', true],
      ['a b', true],
    ]);
  });

  test('word offsets cover the word as written, quotes included', () => {
    const text = `apt-get  install "curl"`;
    const [cmd] = splitShell(text).commands;
    assert.deepEqual(cmd!.words.map((w) => text.slice(w.start, w.end)), ['apt-get', 'install', '"curl"']);
    assert.deepEqual([cmd!.start, cmd!.end], [0, text.length]);
  });

  test('newlines separate commands; a newline after an operator continues the list', () => {
    assert.deepEqual(shape(splitShell('a\nb &&\n  c |\n d\n\n')), ['|a', '\\n|b', '&&|c', '||d']);
  });

  test('backslash-newline joins lines inside and between words', () => {
    assert.deepEqual(words('apt-get install \\\n  -y cu\\\nrl'), [['apt-get', 'install', '-y', 'curl']]);
  });

  test('comments run to the end of the line; # inside a word is not a comment', () => {
    assert.deepEqual(words('a # b && c\nd x#y'), [['a'], ['d', 'x#y']]);
  });

  test('leading assignments are kept apart', () => {
    const [cmd] = splitShell('DEBIAN_FRONTEND=noninteractive A+=1 "B=2" apt-get install x=1.0').commands;
    assert.deepEqual(cmd!.assignments.map((w) => w.value), ['DEBIAN_FRONTEND=noninteractive', 'A+=1']);
    assert.deepEqual(cmd!.words.map((w) => w.value), ['B=2', 'apt-get', 'install', 'x=1.0']);
  });

  test('redirections are not words; 2>&1 and &> do not split the command', () => {
    const [cmd, next] = splitShell('make all > /dev/null 2>&1 </dev/null &>log x && y').commands;
    assert.deepEqual(cmd!.words.map((w) => w.value), ['make', 'all', 'x']);
    assert.deepEqual(cmd!.redirects.map((r) => `${r.op}${r.target?.value ?? ''}`), ['>/dev/null', '2>&1', '</dev/null', '&>log']);
    assert.deepEqual(next!.words.map((w) => w.value), ['y']);
  });

  test('compound commands: reserved words that open a command are dropped', () => {
    assert.deepEqual(words('if [ -f x ]; then apt-get install -y a; else b; fi; for p in a b; do c "$p"; done; { d; }; ! e'), [
      ['[', '-f', 'x', ']'],
      ['apt-get', 'install', '-y', 'a'],
      ['b'],
      ['for', 'p', 'in', 'a', 'b'],
      ['c', '$p'],
      ['d'],
      ['e'],
    ]);
  });

  test('subshells split like lists', () => {
    assert.deepEqual(words('(cd /x && make) && y'), [['cd', '/x'], ['make'], ['y']]);
  });

  test('heredoc bodies inside a script are skipped', () => {
    assert.deepEqual(words("cat > /etc/x <<'EOF'\napt-get install nope\nEOF\napt-get update\ncat <<-T\n\tno\n\tT\nok"), [['cat'], ['apt-get', 'update'], ['cat'], ['ok']]);
  });

  test('end and trailing operator', () => {
    const s = splitShell('a && b   # note\n');
    assert.equal(s.end, 'a && b'.length);
    assert.equal(s.trailingOperator, '');
    assert.equal(splitShell('a &&').trailingOperator, '&&');
    assert.equal(splitShell('a;  ').trailingOperator, ';');
  });

  test('unclosed: a quote, substitution or escape that runs off the end', () => {
    for (const t of ['echo "a', "echo 'a", 'echo $(a', 'echo ${a', 'echo `a', "echo $'a", 'echo a\\']) assert.equal(splitShell(t).unclosed, true, t);
    for (const t of ['echo "a"', "echo 'a'", 'echo $(a)', 'echo `a`', 'cat <<EOF']) assert.equal(splitShell(t).unclosed, false, t);
  });

  test('unterminated quotes and substitutions do not throw or loop', () => {
    for (const t of ['"abc', "'abc", '$(abc', '${x', '`x', 'a \\', '<<', '2>', '$\'a\\\'b']) {
      assert.doesNotThrow(() => splitShell(t), t);
    }
  });
});

function model(text: string): DockerfileModel {
  return buildModel(text);
}

function runs(m: DockerfileModel): Instr[] {
  return m.instructions.filter((i) => i.keyword === 'RUN');
}

/** `value@line:char-line:char` with 0-based lines. */
function located(m: DockerfileModel, i: Instr): string[][] {
  return runCommands(m, i).map((c) => c.words.map((w) => `${w.value}@${w.range.start.line}:${w.range.start.character}-${w.range.end.line}:${w.range.end.character}`));
}

describe('runScripts', () => {
  test('shell form: continuations joined, comment and blank lines inside them dropped, document ranges', () => {
    const m = model('FROM debian:12\nRUN apt-get update \\\n  # a comment && not a command\n\n  && apt-get install -y \\\n    curl\n');
    const [run] = runs(m);
    assert.deepEqual(located(m, run!), [
      ['apt-get@1:4-1:11', 'update@1:12-1:18'],
      ['apt-get@4:5-4:12', 'install@4:13-4:20', '-y@4:21-4:23', 'curl@5:4-5:8'],
    ]);
    const [script] = runScripts(m, run!);
    assert.equal(script!.origin, 'line');
    assert.deepEqual(m.index.positionAt(script!.end), { line: 5, character: 8 });
  });

  test('flags are not part of the command', () => {
    const m = model('FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt --network=none apt-get update\n');
    assert.deepEqual(located(m, runs(m)[0]!), [['apt-get@1:60-1:67', 'update@1:68-1:74']]);
  });

  test('the escape directive changes the continuation character; backslashes reach the shell', () => {
    const m = model('# escape=`\nFROM debian:12\nRUN apt-get update `\n  && echo a\\\\b `\n  && ls\n');
    assert.deepEqual(runCommands(m, runs(m)[0]!).map((c) => c.words.map((w) => w.value)), [['apt-get', 'update'], ['echo', 'a\\b'], ['ls']]);
  });

  test('CRLF files: continuation and positions', () => {
    const m = model('FROM debian:12\r\nRUN apt-get update \\\r\n  && apt-get install -y x\r\n');
    assert.deepEqual(located(m, runs(m)[0]!), [
      ['apt-get@1:4-1:11', 'update@1:12-1:18'],
      ['apt-get@2:5-2:12', 'install@2:13-2:20', '-y@2:21-2:23', 'x@2:24-2:25'],
    ]);
  });

  test('positions count UTF-16 units', () => {
    const m = model('FROM debian:12\nRUN echo "🐳 ü" && apt-get update\n');
    assert.deepEqual(located(m, runs(m)[0]!)[1], ['apt-get@1:19-1:26', 'update@1:27-1:33']);
  });

  test('exec form is one command whose words are the JSON strings', () => {
    const m = model('FROM debian:12\nRUN ["apt-get", "install", \\\n  "-y", "a\\"b"]\n');
    const [script] = runScripts(m, runs(m)[0]!);
    assert.equal(script!.origin, 'exec');
    assert.deepEqual(located(m, runs(m)[0]!), [['apt-get@1:5-1:14', 'install@1:16-1:25', '-y@2:2-2:6', 'a"b@2:8-2:14']]);
  });

  test('a bare heredoc is a script; its commands point into the body', () => {
    const m = model('FROM debian:12\nRUN <<EOF\nset -eux\napt-get update\nEOF\n');
    const scripts = runScripts(m, runs(m)[0]!);
    assert.deepEqual(scripts.map((s) => s.origin), ['line', 'heredoc']);
    assert.deepEqual(located(m, runs(m)[0]!), [['set@2:0-2:3', '-eux@2:4-2:8'], ['apt-get@3:0-3:7', 'update@3:8-3:14']]);
  });

  test('heredocs fed to a shell are scripts; to other programs they are data', () => {
    const text = [
      'FROM debian:12',
      'RUN bash -ex <<EOF',
      'apt-get update',
      'EOF',
      "RUN cat <<'EOF' > /etc/apt/sources.list",
      'deb http://deb.debian.org/debian bookworm main',
      'EOF',
      'RUN python3 <<EOF',
      'print(1)',
      'EOF',
      'RUN <<EOF',
      '#!/usr/bin/env python3',
      'print(1)',
      'EOF',
      'RUN bash -c "echo" <<EOF',
      'apt-get update',
      'EOF',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(
      runs(m).map((r) => runScripts(m, r).map((s) => s.origin).join(',')),
      ['line,heredoc', 'line', 'line', 'line', 'line'],
    );
  });

  test('other instructions have no commands', () => {
    const m = model('FROM debian:12\nCMD apt-get update\n');
    assert.deepEqual(m.instructions.flatMap((i) => runScripts(m, i)), []);
  });
});

describe('programIndex', () => {
  const p = (t: string) => {
    const [cmd] = splitShell(t).commands;
    const i = programIndex(cmd!.words);
    return i < 0 ? undefined : cmd!.words[i]!.value;
  };
  test('skips wrappers and their options', () => {
    assert.equal(p('sudo -E -u root apt-get install x'), 'apt-get');
    assert.equal(p('env -u X A=1 B=2 pip install x'), 'pip');
    assert.equal(p('command -v apk'), 'apk');
    assert.equal(p('nice -n 10 time make'), 'make');
    assert.equal(p('exec nginx'), 'nginx');
    assert.equal(p('sudo'), undefined);
  });
});
