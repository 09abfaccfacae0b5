// Secrets never leave through any face: the planted Dockerfile through every CLI format (stdout and stderr)
// and through the language server (diagnostics, code action titles and edits, hovers on every line, logs).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CodeAction, Hover } from 'vscode-languageserver/node';
import { DOCKERFILE, POLICY_YAML, leaks } from './support/planted.ts';
import { TestClient, buildServer, pathUri } from './lsp/support/client.ts';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-leak-'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.plimsoll.yaml'), POLICY_YAML);
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, '.npmrc'), '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n');
  writeFileSync(join(dir, '.env'), 'A=1\n');
  return dir;
}

describe('no secret leaves through the CLI', () => {
  const dir = workspace();
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const format of ['text', 'json', 'sarif', 'github']) {
    test(format, () => {
      if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT });
      const r = spawnSync(process.execPath, [CLI, 'lint', '.', '--format', format, '--no-registry'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout, /PL402/);
      assert.deepEqual(leaks(r.stdout), []);
      assert.deepEqual(leaks(r.stderr), []);
    });
  }
});

test('no secret leaves through the language server', async () => {
  const dir = workspace();
  const env: NodeJS.ProcessEnv = { ...process.env, PLIMSOLL_NO_REGISTRY: '1' };
  const client = await TestClient.spawn(await buildServer(), env);
  client.settings = () => ({ debounceMs: 0, trace: { server: 'verbose' } });
  try {
    await client.initialize(dir);
    const uri = pathUri(join(dir, 'Dockerfile'));
    await client.open(uri, DOCKERFILE);
    const p = await client.waitDiagnostics(uri, (x) => x.diagnostics.some((d) => d.code === 'PL402'));
    const seen: unknown[] = [p];
    const lines = DOCKERFILE.split('\n');
    for (let line = 0; line < lines.length; line++) {
      for (const character of [0, 5, Math.floor((lines[line]!.length * 2) / 3)]) {
        seen.push(await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } }));
      }
    }
    for (const d of p.diagnostics) {
      const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
      seen.push(actions);
      for (const a of actions) if (!a.edit && a.data !== undefined) seen.push(await client.request<CodeAction>('codeAction/resolve', a));
    }
    seen.push(client.logs, client.statuses, client.stderr);
    // Edits may delete text that holds a secret; they must never write one.
    assert.deepEqual(leaks(JSON.stringify(seen)), []);
  } finally {
    await client.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
