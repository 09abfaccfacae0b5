// The bundled server with its registry-backed facts provider against a real registry on loopback: offline
// findings first, then registry findings; the pin quick-fix carries the index digest; hover shows provenance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeAction, Hover, TextDocumentEdit } from 'vscode-languageserver/node';
import { TestClient, buildServer, codes, pathUri, tempWorkspace } from './support/client.ts';
import { registrySkipReason, seed, startRegistry, type RunningRegistry, type SeedResult } from '../registry/support/registry.ts';

const skip = registrySkipReason();

describe('language server with registry facts', { skip }, () => {
  let reg: RunningRegistry;
  let seeded: SeedResult;
  let dir: string;
  let cache: string;
  let client: TestClient;

  before(async () => {
    reg = await startRegistry();
    seeded = await seed(reg);
    dir = tempWorkspace();
    cache = mkdtempSync(join(tmpdir(), 'plimsoll-lsp-cache-'));
    writeFileSync(join(dir, '.plimsoll.yaml'), 'pinning:\n  level: digest\nsizes:\n  baseImage: 20kB\n');
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, DOCKER_CONFIG: join(cache, 'none') };
    delete env['PLIMSOLL_NO_REGISTRY'];
    client = await TestClient.spawn(await buildServer(), env);
    await client.initialize(dir);
  });

  after(async () => {
    await client?.dispose();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  test('registry findings arrive after the offline ones, with a digest pin fix', async () => {
    const uri = pathUri(join(dir, 'Dockerfile'));
    const text = `FROM --platform=linux/arm64 ${reg.host}/acme/multi:1.0 AS build\nFROM ${reg.host}/acme/app:1.0\n`;
    await client.open(uri, text);
    const withFacts = await client.waitDiagnostics(uri, (p) => codes(p).includes('PL510'), 20_000);
    assert.deepEqual(codes(withFacts).sort(), ['PL304', 'PL304', 'PL510']);
    const first = client.diagnostics.get(uri)![0]!;
    assert.deepEqual(codes(first).sort(), ['PL304', 'PL304'], 'offline findings were published first');

    const pin = withFacts.diagnostics.find((d) => d.code === 'PL304' && d.range.start.line === 0)!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: pin.range, context: { diagnostics: [pin] } });
    let fix = actions.find((a) => a.kind === 'quickfix' && a.isPreferred)!;
    if (!fix.edit) fix = await client.request<CodeAction>('codeAction/resolve', fix);
    const edit = (fix.edit!.documentChanges![0] as TextDocumentEdit).edits[0] as { newText: string };
    assert.equal(edit.newText, `${reg.host}/acme/multi:1.0@${seeded.multi.digest}`);
  });

  test('hover on FROM shows the digest and platforms', async () => {
    const uri = pathUri(join(dir, 'Dockerfile'));
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 40 } });
    const value = hover && typeof hover.contents === 'object' && 'value' in hover.contents ? hover.contents.value : '';
    assert.ok(value.includes(seeded.multi.digest), value);
    assert.match(value, /linux\/arm64/);
  });
});
