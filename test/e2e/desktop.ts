// The same extension-host suite in desktop VS Code through @vscode/test-electron, for machines that have a
// VS Code binary (VSCODE_EXECUTABLE; on Linux it needs a display, e.g. xvfb-run). The extension runs from
// the working tree (extensionDevelopmentPath = the repository), not from the .vsix.
//   VSCODE_EXECUTABLE=/usr/share/code/code node --import tsx test/e2e/desktop.ts
// vscode.test.ts runs it as a second test under `npm run test:e2e`, skipped without a binary.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildBundles, prepare, root } from './fixture.ts';

export function desktopSkipReason(): string | false {
  if (process.env.PLIMSOLL_E2E !== '1') return 'VS Code e2e is off: run `npm run test:e2e` (or set PLIMSOLL_E2E=1)';
  const exe = process.env.VSCODE_EXECUTABLE;
  if (!exe) return 'no desktop VS Code: set VSCODE_EXECUTABLE to a VS Code binary (downloads are not possible here)';
  if (!existsSync(exe)) return `VSCODE_EXECUTABLE=${exe} does not exist`;
  return false;
}

export async function runDesktop(vscodeExecutablePath: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'plimsoll-desktop-'));
  try {
    buildBundles();
    const workspace = join(tmp, 'workspace');
    const extensionTestsPath = await prepare(workspace, join(tmp, 'suite'));
    const code = await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: root,
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${join(tmp, 'user-data')}`],
      extensionTestsEnv: { PLIMSOLL_E2E: '1' },
    });
    if (code !== 0) throw new Error(`desktop extension tests exited with ${code}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (!process.env.VSCODE_EXECUTABLE) {
    console.log('skipped: set VSCODE_EXECUTABLE to a desktop VS Code binary');
  } else {
    runDesktop(process.env.VSCODE_EXECUTABLE!).catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
  }
}
