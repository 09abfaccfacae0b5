import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageRef, normalisedName, normaliseRepositoryPattern, splitTag, familiarName } from '../../server/src/core/imageRef.ts';
import { expand } from '../../server/src/core/vars.ts';
import { buildModel } from '../../server/src/core/model.ts';
import { globMatch } from '../../server/src/core/glob.ts';

describe('image references are normalised like Docker does', () => {
  const cases: Array<[string, string]> = [
    ['node', 'docker.io/library/node:latest'],
    ['node:20', 'docker.io/library/node:20'],
    ['library/node:20', 'docker.io/library/node:20'],
    ['acme/app', 'docker.io/acme/app:latest'],
    ['index.docker.io/library/node:20', 'docker.io/library/node:20'],
    ['docker.io/node:20', 'docker.io/library/node:20'],
    ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:1.2.3'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:dev', 'localhost:5000/team/app:dev'],
    ['registry:5000/app', 'registry:5000/app:latest'],
    ['[::1]:5000/app:1', '[::1]:5000/app:1'],
    [`node@sha256:${'a'.repeat(64)}`, `docker.io/library/node@sha256:${'a'.repeat(64)}`],
    [`node:20@sha256:${'b'.repeat(64)}`, `docker.io/library/node:20@sha256:${'b'.repeat(64)}`],
  ];
  for (const [input, want] of cases) {
    test(input, () => assert.equal(normalisedName(parseImageRef(input)!), want));
  }
  test('a digest wins: the tag is informative only', () => {
    const r = parseImageRef(`node:20@sha256:${'c'.repeat(64)}`)!;
    assert.equal(r.tag, '20');
    assert.equal(r.digest, `sha256:${'c'.repeat(64)}`);
  });
  test('invalid references are rejected', () => {
    for (const bad of ['', 'Node:20', 'node:', 'a b', '${X}', 'node@sha256:short', 'node:-bad']) assert.equal(parseImageRef(bad), undefined, bad);
  });
  test('familiar names drop docker.io/library', () => {
    assert.equal(familiarName(parseImageRef('docker.io/library/node:20')!), 'node:20');
    assert.equal(familiarName(parseImageRef('ghcr.io/a/b:1')!), 'ghcr.io/a/b:1');
  });
  test('policy patterns normalise the same way', () => {
    assert.equal(normaliseRepositoryPattern('node'), 'docker.io/library/node');
    assert.equal(normaliseRepositoryPattern('acme/*'), 'docker.io/acme/*');
    assert.equal(normaliseRepositoryPattern('ghcr.io/acme/**'), 'ghcr.io/acme/**');
    assert.equal(normaliseRepositoryPattern('index.docker.io/library/node'), 'docker.io/library/node');
  });
  test('tags split into version and variant', () => {
    assert.deepEqual(splitTag('20.11.1-alpine3.19'), { version: '20.11.1', components: 3, variant: 'alpine3.19', variantFamily: 'alpine' });
    assert.deepEqual(splitTag('20'), { version: '20', components: 1, variant: '', variantFamily: '' });
    assert.equal(splitTag('bookworm-slim').version, undefined);
    assert.equal(splitTag('v1.2.3').version, '1.2.3');
  });
});

describe('variable substitution', () => {
  const vars: Record<string, string | null> = { A: 'a', EMPTY: '', UNSET: null };
  const lookup = (n: string) => (n in vars ? vars[n] : undefined);
  const cases: Array<[string, string]> = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['x${A}y', 'xay'],
    ['${A:-d}', 'a'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${NOPE-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${NOPE:-${A}}', 'a'],
    ['\\$A', '$A'],
  ];
  for (const [text, want] of cases) test(text, () => assert.equal(expand(text, lookup).value, want));
  test('unresolved variables are reported', () => {
    assert.deepEqual(expand('${UNSET}/x:${NOPE}', lookup).unresolved, ['UNSET', 'NOPE']);
    assert.deepEqual(expand('${NOPE:-ok}', lookup).unresolved, []);
  });
});

describe('the model', () => {
  test('stages, names, stage references and scratch', () => {
    const m = buildModel('FROM node:20 AS Build\nFROM build AS test\nFROM scratch\nCOPY --from=0 /a /a\nCOPY --from=build /b /b\n');
    assert.equal(m.stages.length, 3);
    assert.equal(m.stages[0]!.name, 'build');
    assert.equal(m.stages[1]!.image.stageRef, m.stages[0]);
    assert.ok(m.stages[2]!.image.scratch);
    assert.ok(m.stages[2]!.isFinal);
    const copies = m.images.filter((u) => u.kind === 'copy-from');
    assert.equal(copies.length, 2);
    assert.ok(copies.every((c) => c.stageRef === m.stages[0]));
  });

  test('global ARGs resolve FROM; --build-arg overrides; the ARG default is the edit target', () => {
    const text = 'ARG V=20\nARG BASE=node:${V}-alpine\nFROM ${BASE}\n';
    const m = buildModel(text);
    assert.equal(m.images[0]!.resolved, 'node:20-alpine');
    assert.equal(m.images[0]!.argSource?.name, 'BASE');
    assert.deepEqual(m.images[0]!.argSource?.valueRange, { start: { line: 1, character: 9 }, end: { line: 1, character: 25 } });
    assert.equal(buildModel(text, { buildArgs: { V: '22' } }).images[0]!.resolved, 'node:22-alpine');
    assert.equal(buildModel(text, { buildArgs: { BASE: 'alpine:3' } }).images[0]!.argSource, undefined);
  });

  test('stage ARGs: a bare ARG re-imports the global value for COPY --from', () => {
    const m = buildModel('ARG TOOLS=busybox:1.36\nFROM alpine:3.20\nARG TOOLS\nCOPY --from=${TOOLS} /bin/busybox /bin/\n');
    const use = m.images.find((u) => u.kind === 'copy-from')!;
    assert.equal(use.resolved, 'busybox:1.36');
    assert.equal(use.ref?.repository, 'library/busybox');
  });

  test('an ARG used only inside a stage does not leak into FROM', () => {
    const m = buildModel('FROM alpine:3.20\nARG IMG=node:20\nFROM ${IMG}\n');
    assert.deepEqual(m.images[1]!.unresolved, ['IMG']);
  });

  test('platform flags, mounts and heredocs', () => {
    const text = 'FROM --platform=$BUILDPLATFORM golang:1.22 AS b\nRUN --mount=type=cache,target=/root/.cache \\\n    --mount=type=bind,from=alpine:3.20,source=/,target=/a go build\nRUN <<EOF\necho hi\nEOF\n';
    const m = buildModel(text, { buildArgs: { BUILDPLATFORM: 'linux/amd64' } });
    assert.equal(m.images[0]!.platform, 'linux/amd64');
    const run = m.instructions[1]!;
    assert.deepEqual(run.flags.map((f) => f.options.get('type')?.value), ['cache', 'bind']);
    assert.equal(m.images.find((u) => u.kind === 'mount-from')?.resolved, 'alpine:3.20');
    assert.equal(m.instructions[2]!.heredocs[0]!.content, 'echo hi');
  });

  test('the escape directive and the check directive are read', () => {
    const m = buildModel('# escape=`\n# check=skip=JSONArgsRecommended\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo a `\n  && echo b\n');
    assert.equal(m.escapeChar, '`');
    assert.deepEqual(m.directives.map((d) => d.name).sort(), ['check', 'escape']);
    assert.equal(m.instructions[1]!.range.end.line, 4);
  });

  test('CRLF documents keep LSP positions', () => {
    const m = buildModel('FROM node:20\r\nFROM alpine\r\n');
    assert.deepEqual(m.images[1]!.range, { start: { line: 1, character: 5 }, end: { line: 1, character: 11 } });
  });
});

describe('policy globs', () => {
  test('* stays in a segment, ** crosses', () => {
    assert.ok(globMatch('docker.io/library/*', 'docker.io/library/node'));
    assert.ok(!globMatch('ghcr.io/*', 'ghcr.io/acme/app'));
    assert.ok(globMatch('ghcr.io/**', 'ghcr.io/acme/app'));
    assert.ok(globMatch('*.acme.internal', 'registry.acme.internal'));
    assert.ok(globMatch('services/**/Dockerfile', 'services/Dockerfile'));
  });
});
