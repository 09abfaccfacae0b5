// A second, independent client: headless Neovim 0.7 (Debian's `neovim`) starts the bundled server with the
// 0.7 API (`vim.lsp.start_client` + `buf_attach_client`), waits for diagnostics with a bounded `vim.wait`,
// asks for a hover and writes what it saw as JSON. Skipped when `nvim` is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, tempWorkspace, withTimeout } from './support/client.ts';

const hasNvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' }).status === 0;

const lua = (s: string): string => JSON.stringify(s); // a JSON string is a valid Lua string literal for these paths

function initLua(server: string, root: string, dockerfile: string, out: string): string {
  return `
local SERVER, ROOT, FILE, OUT = ${lua(server)}, ${lua(root)}, ${lua(dockerfile)}, ${lua(out)}

local function finish(result)
  vim.fn.writefile({ vim.fn.json_encode(result) }, OUT)
  vim.cmd('qa!')
end

local function run()
  local client_id = vim.lsp.start_client({
    name = 'plimsoll',
    cmd = { 'node', SERVER, '--stdio' },
    root_dir = ROOT,
    settings = { plimsoll = { debounceMs = 20 } },
  })
  if not client_id then return finish({ error = 'start_client failed' }) end
  vim.cmd('edit ' .. vim.fn.fnameescape(FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)
  local got = vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(diagnostics, {
      code = d.code or lsp.code, source = d.source, severity = d.severity,
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    })
  end
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = 0, character = 7 } }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 10000) or {}
  local hover = ''
  for _, r in pairs(responses) do
    if r.result and r.result.contents then hover = r.result.contents.value or vim.inspect(r.result.contents) end
  end
  finish({ waited = got, filetype = vim.bo[bufnr].filetype, diagnostics = diagnostics, hover = hover })
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    local ok, err = pcall(run)
    if not ok then finish({ error = tostring(err) }) end
  end,
})
`;
}

test('Neovim 0.7 shows the diagnostics and the hover', { skip: hasNvim ? false : 'nvim is not installed' }, async () => {
  const dir = tempWorkspace('plimsoll-nvim-');
  try {
    const server = await buildServer();
    writeFileSync(join(dir, '.plimsoll.yaml'), 'images:\n  allow:\n    - image: node\n      tags: ["20.*"]\n');
    const dockerfile = join(dir, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM python:3.12\nFROM ubuntu\nFROM node:20.11.1\n');
    const out = join(dir, 'result.json');
    const init = join(dir, 'init.lua');
    writeFileSync(init, initLua(server, dir, dockerfile, out));
    const xdg = join(dir, 'xdg');
    mkdirSync(xdg);
    const env = { ...process.env, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_STATE_HOME: xdg, XDG_CACHE_HOME: xdg };
    const nvim = spawn('nvim', ['--clean', '--headless', '-u', init], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nvim.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => nvim.once('exit', (code) => resolve(code)));
    try {
      await withTimeout(exited, 40_000, 'nvim to finish');
    } finally {
      if (nvim.exitCode === null) nvim.kill('SIGKILL');
    }
    assert.ok(existsSync(out), `nvim wrote no result; stderr: ${stderr}`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      error?: string;
      waited: boolean;
      filetype: string;
      diagnostics: Array<{ code: string; source: string; lnum: number; col: number; end_col: number }>;
      hover: string;
    };
    assert.equal(result.error, undefined);
    assert.equal(result.waited, true);
    const seen = result.diagnostics.map((d) => `${d.code}@${d.lnum}:${d.col}-${d.end_col}`).sort();
    assert.deepEqual(seen, ['PL101@0:5-16', 'PL101@1:5-11', 'PL301@1:5-11']);
    assert.ok(result.diagnostics.every((d) => d.source === 'plimsoll'));
    assert.match(result.hover, /docker\.io\/library\/python:3\.12/);
    assert.match(result.hover, /not approved/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
