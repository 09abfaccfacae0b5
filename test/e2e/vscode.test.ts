// End to end in a real VS Code: builds and packages the .vsix, installs it into code-server 4.100.3
// (VS Code 1.100.3), opens a workspace with a policy and a Dockerfile in Debian's chromium (playwright-core),
// and runs test/e2e/suite (the `run()` shape of @vscode/test-electron) in code-server's own extension host
// through the workbench `payload` URL parameter. The exit code comes back through `codeAutomationExit`,
// which the workbench calls when the extension host ends a test run. Loopback only.
//
// Off unless PLIMSOLL_E2E=1 (`npm run test:e2e` sets it), and skipped with a message when code-server
// (test/e2e/setup.sh) or chromium is missing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildBundles, prepare, registryWorkspace, root, run, type SuiteExtra } from './fixture.ts';
import { registrySkipReason, seed, startRegistry } from '../registry/support/registry.ts';
import { desktopSkipReason, runDesktop } from './desktop.ts';

const cache = process.env.PLIMSOLL_E2E_CACHE ?? join(homedir(), '.cache', 'plimsoll-e2e');
const codeServer = join(cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.PLIMSOLL_CHROMIUM ?? '/usr/bin/chromium';
const RUN_TIMEOUT_MS = 150_000;

function skipReason(): string | false {
  if (process.env.PLIMSOLL_E2E !== '1') return 'VS Code e2e is off: run `npm run test:e2e` (or set PLIMSOLL_E2E=1) after `bash test/e2e/setup.sh`';
  if (!existsSync(codeServer)) return `code-server is not installed at ${codeServer}: run \`bash test/e2e/setup.sh\``;
  if (!existsSync(chromiumPath)) return `chromium is not installed at ${chromiumPath}: run \`bash test/e2e/setup.sh\` (Debian package chromium)`;
  return false;
}

/** Resolves with the URL code-server prints once it listens (on an event; bounded). */
function listening(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      output.push(text);
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code}:\n${output.join('')}`));
    });
  });
}

/** Resolves when `name` exists in `dir` (fs.watch; the existence check covers a race); rejects on abort. */
function fileAppears(dir: string, name: string, signal: AbortSignal): Promise<string> {
  const path = join(dir, name);
  return new Promise((resolve, reject) => {
    const w = watch(dir, () => {
      if (existsSync(path)) done();
    });
    const onAbort = (): void => {
      w.close();
      reject(new Error(`gave up waiting for ${path}`));
    };
    function done(): void {
      w.close();
      signal.removeEventListener('abort', onAbort);
      resolve(readFileSync(path, 'utf8'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (existsSync(path)) done();
  });
}

type Mode = 'trusted' | 'untrusted' | 'registry';

let packaging: Promise<string> | undefined;
/** Bundles and the .vsix, once per run. */
function packaged(): Promise<string> {
  packaging ??= Promise.resolve().then(() => {
    buildBundles();
    run('npm', ['run', '--silent', 'package']);
    return join(root, 'plimsoll.vsix');
  });
  return packaging;
}

/**
 * One code-server session: install the .vsix, open the workspace, run the suite in `mode`. When the suite
 * writes `ready` to the handshake folder, `onReady` looks at the page, then the suite goes on.
 */
async function session(
  t: TestContext,
  mode: Mode,
  onReady: (page: Page, ready: string) => Promise<void>,
  workspace?: { extra: SuiteExtra; files: { policy: string; dockerfile: string } },
): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), `plimsoll-e2e-${mode}-`));
  const dirs = {
    home: join(tmp, 'home'),
    userData: join(tmp, 'user-data'),
    extensions: join(tmp, 'extensions'),
    workspace: join(tmp, 'workspace'),
    suite: join(tmp, 'suite'),
    handshake: join(tmp, 'handshake'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const running: { server?: ChildProcess; browser?: Browser } = {};
  t.after(async () => {
    await running.browser?.close().catch(() => undefined);
    const server = running.server;
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      // The whole process group: code-server, its extension host and file watcher.
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    if (!process.env.PLIMSOLL_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  });

  // 1. The .vsix, the compiled suite and the user settings.
  const vsix = await packaged();
  const suiteJs = await prepare(dirs.workspace, dirs.suite, { handshakeDir: dirs.handshake, mode, ...workspace?.extra }, workspace?.files);
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  const trust =
    mode !== 'untrusted'
      ? { 'security.workspace.trust.enabled': false }
      : // Restricted mode without the startup dialog.
        { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' };
  writeFileSync(
    join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'window.commandCenter': false,
      'chat.commandCenter.enabled': false,
      // The server would look images up on Docker Hub: loopback only, so from the (empty) cache, except in
      // the registry session, whose images all live on 127.0.0.1.
      'plimsoll.offline': mode !== 'registry',
      ...trust,
    }),
  );

  // 2. code-server with everything of its own in the temp folder; the gallery points at a dead loopback port.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, '.config'),
    XDG_DATA_HOME: join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: join(dirs.home, '.cache'),
    XDG_RUNTIME_DIR: join(dirs.home, 'run'),
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item', resourceUrlTemplate: 'http://127.0.0.1:9/{publisher}/{name}/{version}/{path}' }),
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const common = ['--config', join(dirs.home, 'config.yaml'), '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  run(process.execPath, [codeServer, ...common, '--install-extension', vsix], env);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const installed = join(dirs.extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  assert.ok(existsSync(join(installed, 'dist', 'server.js')), `the vsix installed into ${installed}`);

  const output: string[] = [];
  const flags = ['--bind-addr', '127.0.0.1:0', '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--disable-proxy', '--ignore-last-opened'];
  if (mode !== 'untrusted') flags.push('--disable-workspace-trust');
  const server = spawn(process.execPath, [codeServer, ...common, ...flags], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.server = server;
  const base = await listening(server, output);
  const authority = new URL(base).host;
  const remote = (path: string): string => `vscode-remote://${authority}${path}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(installed)],
    ['extensionTestsPath', remote(suiteJs)],
  ]);
  const url = `${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(payload)}`;

  // 3. The browser. Host names other than the loopback address do not resolve.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
  running.browser = browser;
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const log: string[] = [];
  page.on('console', (m) => {
    const text = m.text();
    log.push(`[${m.type()}] ${text}`);
    if (text.includes('[plimsoll e2e]')) t.diagnostic(text.replace(/^.*\[plimsoll e2e\] /, ''));
  });
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => log.push(`[ext ${type}] ${args.map(String).join(' ')}`));
  await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
  await page.goto(url);

  // 4. The suite asks the harness to look at the page while its diagnostics are on screen, then goes on.
  const stop = new AbortController();
  const looked = fileAppears(dirs.handshake, 'ready', stop.signal).then(async (ready) => {
    try {
      await onReady(page, ready);
    } finally {
      writeFileSync(join(dirs.handshake, 'shot'), '');
    }
  });
  looked.catch(() => undefined); // awaited below only when the suite passed

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((_, reject) => (timer = setTimeout(() => reject(new Error('the extension tests did not finish in time')), RUN_TIMEOUT_MS)));
  let code: number;
  try {
    code = await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
    stop.abort();
    writeFileSync(join(artifacts, `${mode}-browser-console.log`), log.join('\n'));
    writeFileSync(join(artifacts, `${mode}-code-server.log`), output.join(''));
  }
  assert.equal(code, 0, `extension tests failed (exit ${code}); see test-results/e2e/${mode}-browser-console.log:\n${log.filter((l) => /plimsoll|error/i.test(l)).slice(-40).join('\n')}`);
  await looked;
  t.diagnostic(`${mode}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const artifacts = join(root, 'test-results', 'e2e');

/** Hovers the language status ({} next to the language name) and waits for the server's status text in it. */
async function languageStatus(page: Page, text: string): Promise<void> {
  await page.locator('[id="status.languageStatus"]').hover();
  await page.locator('.monaco-hover', { hasText: text }).first().waitFor({ state: 'visible', timeout: 30_000 });
}

test('Plimsoll in VS Code (code-server) end to end', { skip: skipReason(), timeout: RUN_TIMEOUT_MS + 60_000 }, async (t) => {
  mkdirSync(artifacts, { recursive: true });
  await session(t, 'trusted', async (page, ready) => {
    const expected = JSON.parse(ready) as string[];
    // The panel renders its rows after the diagnostics arrive: wait for each expected row (playwright's auto-wait).
    for (const c of expected) await page.locator('.markers-panel .monaco-list-row', { hasText: c }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const file = join(artifacts, 'problems.png');
    await page.screenshot({ path: join(artifacts, 'workbench.png') });
    await page.locator('#workbench\\.parts\\.panel').screenshot({ path: file });
    await languageStatus(page, 'registry offline');
    if (process.env.PLIMSOLL_E2E_UPDATE_IMAGES === '1') {
      copyFileSync(file, join(root, 'docs', 'images', 'problems.png'));
      copyFileSync(join(artifacts, 'workbench.png'), join(root, 'docs', 'images', 'workbench.png'));
    }
  });
});

test('Plimsoll in VS Code (code-server), untrusted workspace', { skip: skipReason(), timeout: RUN_TIMEOUT_MS + 60_000 }, async (t) => {
  mkdirSync(artifacts, { recursive: true });
  await session(t, 'untrusted', async (page) => {
    await languageStatus(page, 'untrusted: registry off');
    await page.screenshot({ path: join(artifacts, 'untrusted.png') });
  });
});

test('Plimsoll in VS Code (code-server) with a registry on 127.0.0.1', { skip: skipReason() || registrySkipReason(), timeout: RUN_TIMEOUT_MS + 60_000 }, async (t) => {
  mkdirSync(artifacts, { recursive: true });
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const seeded = await seed(reg);
  const node = seeded.node.tags['20.11.0'];
  assert.ok(node);
  const extra: SuiteExtra = { registry: { host: reg.host, app: seeded.app.digest, node } };
  await session(
    t,
    'registry',
    async (page) => {
      await languageStatus(page, 'registry online');
      await page.screenshot({ path: join(artifacts, 'registry.png') });
    },
    { extra, files: registryWorkspace(reg.host) },
  );
});

test('Plimsoll in desktop VS Code (@vscode/test-electron)', { skip: desktopSkipReason(), timeout: RUN_TIMEOUT_MS }, async () => {
  await runDesktop(process.env.VSCODE_EXECUTABLE!);
});
