// What both e2e runners share: the workspace (a policy and a Dockerfile with known findings), the bundles,
// and the compiled extension-host suite with its config.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { build } from 'esbuild';

export const root = join(__dirname, '..', '..');

export const POLICY = `# The e2e workspace policy.
images:
  deny:
    - image: ubuntu
      tags: ["16.04"]
      reason: Ubuntu 16.04 is past end of standard support
      replacement: ubuntu:24.04
pinning:
  level: tag
`;

export const DOCKERFILE = `# syntax=docker/dockerfile:1.7
FROM ubuntu:16.04 AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
# plimsoll ignore=PL301 reason="the e2e test checks that this pragma hides the finding"
FROM alpine AS tools
RUN <<EOF
set -eu
echo "built on $(uname -m)"
EOF

FROM python:latest
COPY --from=build /usr/bin/gcc /usr/bin/gcc
RUN pip install flask
`;

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: env ?? process.env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

/** dist/ bundles (the extension and its server). */
export function buildBundles(): void {
  run(process.execPath, ['server/build.mjs']);
}

/** Writes the workspace and compiles the suite into `suiteDir`; returns the suite's entry file. */
/** The workspace for the registry session: images only from a registry on 127.0.0.1, digests required. */
export function registryWorkspace(host: string): { policy: string; dockerfile: string } {
  return {
    policy: 'pinning:\n  level: digest\n',
    dockerfile: `FROM ${host}/acme/app:1.0 AS app\nFROM ${host}/acme/node:20.11.0\nCOPY --from=app /app /app\n`,
  };
}

/** What the suite reads from config.json (see test/e2e/suite/index.ts). */
export interface SuiteExtra {
  handshakeDir?: string;
  mode?: 'trusted' | 'untrusted' | 'registry';
  /** Registry mode: the digests the tags resolve to. */
  registry?: { host: string; app: string; node: string };
}

export async function prepare(workspace: string, suiteDir: string, extra: SuiteExtra = {}, files = { policy: POLICY, dockerfile: DOCKERFILE }): Promise<string> {
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, '.plimsoll.yaml'), files.policy);
  writeFileSync(join(workspace, 'Dockerfile'), files.dockerfile);
  const entry = join(suiteDir, 'index.js');
  await build({
    entryPoints: [join(__dirname, 'suite', 'index.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    logLevel: 'warning',
  });
  writeFileSync(join(suiteDir, 'config.json'), JSON.stringify({ workspace, ...extra }));
  return entry;
}
