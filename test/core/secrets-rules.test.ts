// The secret rules on in-memory inputs, for what golden fixtures cannot show: which fix is safe, what the
// PL401 fix edits, `.git` folders (a fixture cannot hold one), and PL404's path matching.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { lint } from '../../server/src/core/lint.ts';
import { defaultPolicy } from '../../server/src/core/policy.ts';
import { applyEdits } from '../../server/src/core/fixes.ts';
import type { BuildContextFacts } from '../../server/src/core/context.ts';
import { secretRules } from '../../server/src/rules/secretRules.ts';

function findings(text: string, ruleId: string, buildContext?: BuildContextFacts) {
  return lint({ text, rules: secretRules, today: '2026-06-15', ...(buildContext ? { buildContext } : {}) }).findings.filter((f) => f.ruleId === ruleId);
}

describe('PL401 fix', () => {
  const fixed = (text: string, k = 0) => {
    const f = findings(text, 'PL401')[k]!;
    assert.equal(f.fixes[0]!.applicability, 'unsafe');
    return applyEdits(text, f.fixes[0]!.changes.flatMap((c) => c.edits));
  };

  test('an ARG becomes a secret mount on every RUN of its stage that uses it, after RUN and before other flags', () => {
    const text = 'FROM alpine:3.20.1\nARG NPM_TOKEN\nRUN echo $NPM_TOKEN\nRUN --mount=type=cache,target=/c echo ${NPM_TOKEN}\nRUN echo none\nFROM alpine:3.20.1\nRUN echo $NPM_TOKEN\n';
    assert.equal(
      fixed(text),
      'FROM alpine:3.20.1\nRUN --mount=type=secret,id=npm-token,env=NPM_TOKEN echo $NPM_TOKEN\nRUN --mount=type=secret,id=npm-token,env=NPM_TOKEN --mount=type=cache,target=/c echo ${NPM_TOKEN}\nRUN echo none\nFROM alpine:3.20.1\nRUN echo $NPM_TOKEN\n',
    );
  });

  test('one ENV entry of several is removed with its separator; a RUN that already mounts it is left alone', () => {
    const text = 'FROM alpine:3.20.1\nENV A=1 API_TOKEN=x B=2\nRUN --mount=type=secret,id=api-token,env=API_TOKEN echo $API_TOKEN\n';
    assert.equal(fixed(text), 'FROM alpine:3.20.1\nENV A=1 B=2\nRUN --mount=type=secret,id=api-token,env=API_TOKEN echo $API_TOKEN\n');
    assert.equal(fixed('FROM alpine:3.20.1\nENV A=1 \\\n    API_TOKEN=x\n'), 'FROM alpine:3.20.1\nENV A=1\n');
  });

  test('the variable of a longer name is not a use; a redeclaration ends the scope', () => {
    const text = 'FROM alpine:3.20.1\nARG TOKEN\nRUN echo $TOKEN_URL\nARG TOKEN\nRUN echo $TOKEN\n';
    assert.equal(fixed(text), 'FROM alpine:3.20.1\nRUN echo $TOKEN_URL\nARG TOKEN\nRUN echo $TOKEN\n');
  });

  test('messages and fixes carry the name, never the value', () => {
    const [f] = findings('FROM alpine:3.20.1\nENV DB_PASSWORD=Zq8wX2vB7nM4\nRUN run --db-password "$DB_PASSWORD"\n', 'PL401');
    assert.doesNotMatch(JSON.stringify(f), /Zq8wX2/);
    assert.match(f!.message, /--secret id=db-password,env=DB_PASSWORD/);
  });
});

describe('PL404 path matching', () => {
  const lines = (text: string) => findings(text, 'PL404').map((f) => f.range.start.line);

  test('the destination, a parent folder, a WORKDIR-relative name, ~ and cd', () => {
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/.npmrc\nRUN npm ci && rm /root/.npmrc\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/\nRUN rm -rf /root\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nWORKDIR /app\nCOPY .npmrc ./\nRUN rm -f .npmrc\n'), [2]);
    assert.deepEqual(lines('FROM a:1\nCOPY .netrc /root/.netrc\nRUN rm -f ~/.netrc\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nCOPY .netrc /root/.netrc\nRUN rm -f $HOME/.netrc\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nCOPY id_rsa /tmp/k/\nRUN cd /tmp/k && shred --remove id_rsa\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nCOPY id_rsa /tmp/k/\nRUN rm -f /tmp/k/*\n'), [1]);
    assert.deepEqual(lines('FROM a:1\nARG DIR=/etc/app\nCOPY tls.key ${DIR}/\nRUN rm ${DIR}/tls.key || rm /etc/app/tls.key\n'), [2]);
  });

  test('not a deletion of what was copied', () => {
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/.npmrc\nRUN rm -f /app/.npmrc\n'), []);
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/.npmrc\nRUN shred /root/.npmrc\n'), []);
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/.npmrc\nFROM a:1\nRUN rm -f /root/.npmrc\n'), []);
    assert.deepEqual(lines('FROM a:1\nRUN rm -f /root/.npmrc\nCOPY .npmrc /root/.npmrc\n'), []);
    assert.deepEqual(lines('FROM a:1\nCOPY .env.example /app/.env\nRUN rm /app/.env\n'), []);
    assert.deepEqual(lines('FROM a:1\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci && rm -f /root/.npmrc\n'), []);
    assert.deepEqual(lines('FROM a:1\nCOPY .npmrc /root/.npmrc\nRUN echo rm /root/.npmrc\n'), []);
  });

  test('with the build context: a .git folder copied by COPY . . and removed', () => {
    const ctx: BuildContextFacts = { files: ['.git/HEAD', '.git/config', 'main.go'].map((path) => ({ path, size: 1 })), dockerignore: { text: '', file: '.dockerignore', exists: false } };
    const f = findings('FROM a:1\nWORKDIR /src\nCOPY . .\nRUN go build ./... && rm -rf .git\n', 'PL404', ctx);
    assert.equal(f.length, 1);
    assert.match(f[0]!.message, /\.git\/.*line 4/);
  });
});

describe('PL403 fix: the ignore-file entry, safe or unsafe', () => {
  function facts(files: string[], dockerignore?: string): BuildContextFacts {
    const f: BuildContextFacts = { files: files.map((path) => ({ path, size: 10 })) };
    f.dockerignore = dockerignore === undefined ? { text: '', file: '.dockerignore', exists: false } : { text: dockerignore, file: '.dockerignore', exists: true };
    return f;
  }
  function run(text: string, ctx: BuildContextFacts) {
    return findings(text, 'PL403', ctx);
  }

  test('COPY . . brings .env: a safe fix appends /.env, with a newline first when the file lacks one', () => {
    const [f, ...rest] = run('FROM alpine:3.20.1\nCOPY . /app\n', facts(['.env', 'app.py'], 'node_modules'));
    assert.equal(rest.length, 0);
    assert.deepEqual(f!.range, { start: { line: 1, character: 5 }, end: { line: 1, character: 6 } });
    const fix = f!.fixes[0]!;
    assert.equal(fix.applicability, 'safe');
    assert.deepEqual(fix.changes, [{ file: '.dockerignore', create: false, edits: [{ range: { start: { line: 0, character: 12 }, end: { line: 0, character: 12 } }, newText: '\n/.env\n' }] }]);
  });

  test('no ignore file yet: the fix creates it', () => {
    const [f] = run('FROM alpine:3.20.1\nCOPY . /app\n', facts(['.env', 'app.py']));
    assert.deepEqual(f!.fixes[0]!.changes[0], { file: '.dockerignore', create: true, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '/.env\n' }] });
  });

  test('.git is one finding for the folder, whatever it holds', () => {
    const found = run('FROM alpine:3.20.1\nCOPY . /src\n', facts(['.git/HEAD', '.git/config', '.git/objects/ab/cd', 'main.go'], 'bin\n'));
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /\.git\//);
    assert.equal(found[0]!.fixes[0]!.changes[0]!.edits[0]!.newText, '/.git\n');
  });

  test('an ignored file is not reported; a ! exception brings it back', () => {
    assert.equal(run('FROM alpine:3.20.1\nCOPY . /app\n', facts(['.env', '.env.local', 'a'], '.env*\n')).length, 0);
    const back = run('FROM alpine:3.20.1\nCOPY . /app\n', facts(['.env', '.env.local', 'a'], '.env*\n!.env.local\n'));
    assert.deepEqual(back.map((f) => f.fixes[0]!.changes[0]!.edits[0]!.newText), ['/.env.local\n']);
  });

  test('unsafe when an instruction names the file itself, or a wildcard would match nothing', () => {
    const named = run('FROM alpine:3.20.1\nCOPY .npmrc /root/\nCOPY . /app\n', facts(['.npmrc', 'a'], ''));
    assert.deepEqual(named.map((f) => f.fixes[0]!.applicability), ['unsafe', 'unsafe']);
    const mounted = run('FROM alpine:3.20.1\nCOPY . /app\nRUN --mount=type=bind,source=.npmrc,target=/root/.npmrc npm ci\n', facts(['.npmrc', 'a'], ''));
    assert.deepEqual(mounted.map((f) => f.fixes[0]!.applicability), ['unsafe']);
    const glob = run('FROM alpine:3.20.1\nCOPY tls/*.pem /etc/tls/\n', facts(['tls/bundle.pem', 'x'], ''));
    assert.deepEqual(glob.map((f) => f.fixes[0]!.applicability), ['unsafe']);
    const globWithMore = run('FROM alpine:3.20.1\nCOPY tls/* /etc/tls/\n', facts(['tls/bundle.pem', 'tls/README'], ''));
    assert.deepEqual(globWithMore.map((f) => f.fixes[0]!.applicability), ['safe']);
    const truncated = facts(['.env', 'a'], '');
    truncated.truncated = true;
    assert.deepEqual(run('FROM alpine:3.20.1\nCOPY . /app\n', truncated).map((f) => f.fixes[0]!.applicability), ['unsafe']);
  });

  test('sources from ARG defaults are expanded; --from sources and heredocs are not context', () => {
    const ctx = facts(['deploy.key', 'a'], '');
    assert.equal(run('FROM alpine:3.20.1\nARG KEY_FILE=deploy.key\nCOPY ${KEY_FILE} /etc/app/\n', ctx).length, 1);
    assert.equal(run('FROM alpine:3.20.1 AS b\nFROM alpine:3.20.1\nCOPY --from=b /deploy.key /x\n', ctx).length, 0);
    assert.equal(run('FROM alpine:3.20.1\nCOPY <<EOF /deploy.key\nx\nEOF\n', ctx).length, 0);
  });

  test('without context facts only literal names are reported, with no fix', () => {
    const found = lint({ text: 'FROM alpine:3.20.1\nCOPY id_rsa .env.example /root/\nCOPY . /app\n', rules: secretRules, today: '2026-06-15' }).findings;
    assert.deepEqual(found.map((f) => [f.ruleId, f.range.start.character, f.fixes.length]), [['PL403', 5, 0]]);
  });

  test('policy secrets.sensitiveFiles adds globs', () => {
    const policy = defaultPolicy();
    policy.secrets.sensitiveFiles = ['*.sqlite'];
    const found = lint({ text: 'FROM alpine:3.20.1\nCOPY . /app\n', policy, buildContext: facts(['data/app.sqlite', 'a'], ''), rules: secretRules, today: '2026-06-15' }).findings;
    assert.deepEqual(found.map((f) => f.fixes[0]!.changes[0]!.edits[0]!.newText), ['/data/app.sqlite\n']);
  });
});
