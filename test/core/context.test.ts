// core/context as the secret rules use it: which COPY/ADD sources come from the context and where each one
// is written (exact ranges, exec form included), and `.dockerignore` cases around sensitive files.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, contextSources, filesForSource, type BuildContextFacts } from '../../server/src/core/context.ts';
import { buildModel } from '../../server/src/core/model.ts';

/** Each context source of each instruction, as `source@written text`. */
function sources(text: string): string[] {
  const m = buildModel(text);
  return m.instructions.flatMap((i) => contextSources(i).map((s) => `${s.source}@${m.index.slice(s.range)}`));
}

describe('contextSources', () => {
  test('exec form: every source gets its own range, inside the quotes', () => {
    assert.deepEqual(sources('FROM a\nCOPY ["config/", ".env", "/app/"]\n'), ['config/@config/', '.env@.env']);
    const m = buildModel('FROM a\nCOPY --chown=1:1 [ "a b",\\\n   ".npmrc", "/dst/" ]\n');
    const got = m.instructions.flatMap((i) => contextSources(i)).map((s) => [s.source, s.range.start.line, s.range.start.character, s.range.end.character]);
    assert.deepEqual(got, [['a b', 1, 20, 23], ['.npmrc', 2, 4, 10]]);
  });

  test('exec form with escapes in a string keeps the raw span', () => {
    assert.deepEqual(sources('FROM a\nCOPY ["x\\"y", "/dst/"]\n'), ['x"y@x\\"y']);
  });

  test('shell form ranges are the words; the destination is not a source', () => {
    assert.deepEqual(sources('FROM a\nCOPY --chmod=600 id_rsa .npmrc /root/\n'), ['id_rsa@id_rsa', '.npmrc@.npmrc']);
    assert.deepEqual(sources('# escape=`\nFROM a\nCOPY .env `\n     secrets/ /app/\n'), ['.env@.env', 'secrets/@secrets/']);
  });

  test('heredoc bodies, --from, URLs and git sources are not context files', () => {
    assert.deepEqual(sources('FROM a\nCOPY <<EOF /etc/app.conf\ntoken=abc\n.env\nEOF\n'), []);
    assert.deepEqual(sources('FROM a\nCOPY <<EOF .env /etc/\nx\nEOF\n'), ['.env@.env']);
    assert.deepEqual(sources('FROM a AS b\nFROM a\nCOPY --from=b /.env /x\n'), []);
    assert.deepEqual(sources('FROM a\nADD https://example.com/key.pem git@github.com:a/b.git /x/\n'), []);
    assert.deepEqual(sources('FROM a\nCOPY onlyone\n'), []);
  });
});

describe('.dockerignore around sensitive files', () => {
  const ignored = (text: string, paths: string[]) => {
    const m = new IgnoreMatcher(text);
    return paths.filter((p) => m.ignores(p));
  };

  test('`.env*` with a `!.env.example` exception; later patterns win', () => {
    assert.deepEqual(ignored('.env*\n!.env.example\n', ['.env', '.env.local', '.env.example', 'app/.env']), ['.env', '.env.local']);
    assert.deepEqual(ignored('!.env.example\n.env*\n', ['.env', '.env.example']), ['.env', '.env.example']);
  });

  test('a folder pattern excludes its contents; a `!` exception re-includes one file', () => {
    assert.deepEqual(ignored('secrets\n!secrets/README.md\n', ['secrets/db.txt', 'secrets/a/b.key', 'secrets/README.md', 'secretsx']), ['secrets/db.txt', 'secrets/a/b.key']);
    assert.deepEqual(ignored('.git\n', ['.git/HEAD', '.git/objects/ab/cd', '.gitignore', 'sub/.git/HEAD']), ['.git/HEAD', '.git/objects/ab/cd']);
  });

  test('`**` reaches nested keys; a trailing `/**` is everything under the folder', () => {
    assert.deepEqual(ignored('**/*.pem\n**/id_rsa\n', ['a.pem', 'certs/x/b.pem', 'id_rsa', 'deploy/id_rsa', 'id_rsa.pub']), ['a.pem', 'certs/x/b.pem', 'id_rsa', 'deploy/id_rsa']);
    assert.deepEqual(ignored('.ssh/**\n', ['.ssh/id_ed25519', '.ssh/keys/a', '.sshx/a']), ['.ssh/id_ed25519', '.ssh/keys/a']);
  });

  test('a pattern that is written as an absolute path or with ./ is relative to the context root', () => {
    assert.deepEqual(ignored('/.env\n./.npmrc\n', ['.env', 'app/.env', '.npmrc']), ['.env', '.npmrc']);
  });
});

describe('filesForSource with sensitive files', () => {
  const facts: BuildContextFacts = {
    files: ['.env', '.env.example', 'app.py', 'certs/server.key', 'certs/ca.crt', 'config/keystore.p12', 'config/app.yml'].map((path) => ({ path, size: 1 })),
  };
  const paths = (source: string, ignore = '') => filesForSource(source, facts, new IgnoreMatcher(ignore)).map((f) => f.path);

  test('`.` takes everything not ignored', () => {
    assert.deepEqual(paths('.', '.env\ncerts/*.key\n'), ['.env.example', 'app.py', 'certs/ca.crt', 'config/keystore.p12', 'config/app.yml']);
  });

  test('a folder takes its tree, a glob matches at its depth, a file itself', () => {
    assert.deepEqual(paths('config/'), ['config/keystore.p12', 'config/app.yml']);
    assert.deepEqual(paths('./certs/*.key'), ['certs/server.key']);
    assert.deepEqual(paths('.env*'), ['.env', '.env.example']);
    assert.deepEqual(paths('/.env'), ['.env']);
    assert.deepEqual(paths('.env', '.env\n'), []);
  });
});
