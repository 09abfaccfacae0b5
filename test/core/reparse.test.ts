// The editor's incremental parse must give exactly what a fresh parse gives: the same instructions, ranges,
// comments and directives, and so the same findings, after any sequence of edits.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lint } from '../../server/src/core/lint.ts';
import { buildModel, type DockerfileModel } from '../../server/src/core/model.ts';
import { IncrementalParser } from '../../server/src/core/reparse.ts';
import { CORPUS, corpusFiles, mutate, rng, strictPolicy } from '../fuzz/fuzz.ts';

/** Everything the rules can read of a model's parse, as plain data. */
function shape(m: DockerfileModel): unknown {
  return {
    escapeChar: m.escapeChar,
    directives: m.directives,
    comments: m.comments,
    instructions: m.instructions.map((i) => ({
      keyword: i.keyword,
      range: i.range,
      keywordRange: i.keywordRange,
      args: i.args,
      argumentsRange: i.argumentsRange,
      flags: i.flags.map((f) => ({ ...f, options: [...f.options] })),
      heredocs: i.heredocs,
      properties: i.properties,
      logical: i.logical,
      stage: i.stage?.index,
    })),
    stages: m.stages.map((s) => ({ name: s.name, nameRange: s.nameRange, image: { range: s.image.range, written: s.image.written, resolved: s.image.resolved } })),
  };
}

function findings(text: string, parser?: IncrementalParser): unknown {
  const policy = strictPolicy();
  const r = lint({ text, policy, today: '2026-01-01', ...(parser ? { parser } : {}) });
  return r.findings.map((f) => ({ ruleId: f.ruleId, range: f.range, message: f.message, fingerprint: f.fingerprint, fixes: f.fixes }));
}

function assertSame(parser: IncrementalParser, text: string, what: string): void {
  assert.deepEqual(shape(buildModel(text, { parser })), shape(buildModel(text)), what);
}

describe('incremental parse', () => {
  const base = ['# syntax=docker/dockerfile:1', 'ARG BASE=alpine:3.20', 'FROM ${BASE} AS build', 'RUN apk add --no-cache curl \\', '    git', '# a comment', 'COPY . /src', 'RUN <<EOF', 'echo hi', 'EOF', 'FROM scratch', 'COPY --from=build /src /app', 'USER 1000', ''].join('\n');

  test('edits that add a continuation, open or close a heredoc, or join lines at a chunk boundary', () => {
    const edits: Array<(t: string) => string> = [
      (t) => t.replace('COPY . /src', 'COPY . /src \\'),
      (t) => t.replace('RUN <<EOF', 'RUN <<EOF2'),
      (t) => t.replace('echo hi\nEOF', 'echo hi\nEOF\nEOF2'),
      (t) => t.replace('USER 1000', 'USER 1000 \\'),
      (t) => t.replace('# a comment\n', ''),
      (t) => t.replace('git\n', 'git'),
      (t) => `\n\n${t}`,
      (t) => `# escape=\`\n${t}`,
      (t) => t.replace(/\\/g, '`'),
      (t) => t.replace(/\n/g, '\r\n'),
      (t) => `\ufeff${t}`,
      () => '',
      (t) => t,
    ];
    for (const size of [1, 2, 3]) {
      const parser = new IncrementalParser(size);
      let text = base;
      assertSame(parser, text, 'first parse');
      for (const [k, edit] of edits.entries()) {
        text = edit(text);
        assertSame(parser, text, `chunks of ${size}, after edit ${k}`);
        text = base;
        assertSame(parser, text, `chunks of ${size}, back from edit ${k}`);
      }
    }
  });

  test('an edit far from the others re-parses a chunk or two, not the document', () => {
    const lines = ['FROM alpine:3.20'];
    for (let i = 0; i < 1000; i++) lines.push(`RUN echo ${i}`);
    const text = lines.join('\n');
    const parser = new IncrementalParser(50);
    buildModel(text, { parser });
    assert.equal(parser.reparsed, 1001);
    const edited = text.replace('RUN echo 500', 'RUN echo 500 && true');
    assertSame(parser, edited, 'middle edit');
    assert.ok(parser.reparsed > 0 && parser.reparsed <= 150, `re-parsed ${parser.reparsed}`);
    assertSame(parser, `${edited}\nRUN echo end`, 'appended line');
    assert.ok(parser.reparsed <= 150, `re-parsed ${parser.reparsed}`);
    // A continuation added at the end of a chunk runs into the next one: the region grows, still exact.
    assertSame(parser, edited.replace('RUN echo 49\n', 'RUN echo 49 \\\n'), 'continuation into the next chunk');
  });

  const files = corpusFiles();
  // Every fifth file keeps this under ten seconds; the fuzz run (`npm run fuzz`) goes through the engine at length.
  test('every corpus file, after a random edit and back, parses and lints as from scratch', { skip: files.length === 0 ? 'corpus absent' : false }, () => {
    const r = rng(20261206);
    for (const file of files.filter((_, i) => i % 5 === 0)) {
      const text = readFileSync(file, 'utf8');
      const parser = new IncrementalParser(2);
      buildModel(mutate(text, r), { parser });
      const edited = mutate(text, r);
      assertSame(parser, edited, `${file} (edited)`);
      assertSame(parser, text, file);
    }
  });

  test('findings through an incremental parse equal a fresh lint (corpus sample and stress files)', { skip: files.length === 0 ? 'corpus absent' : false }, () => {
    const r = rng(7);
    const sample = files.filter((_, i) => i % 23 === 0);
    sample.push(join(CORPUS, 'stress', 'stress-50-stages.Dockerfile'), join(CORPUS, 'stress', 'stress-5k-continuations.Dockerfile'));
    for (const file of sample) {
      const text = readFileSync(file, 'utf8');
      const parser = new IncrementalParser(3);
      findings(text, parser);
      for (let k = 0; k < 3; k++) {
        const edited = mutate(text, r);
        assert.deepEqual(findings(edited, parser), findings(edited), `${file}, edit ${k}`);
      }
      assert.deepEqual(findings(text, parser), findings(text), file);
    }
  });
});
