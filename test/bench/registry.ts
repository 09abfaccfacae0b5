// Registry work for many files: 1,000 Dockerfiles naming 200 unique images, linted against a real registry
// on loopback behind a counting proxy; requests and wall time cold, warm (disk cache) and offline.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './lsp.ts';
import { deterministicBytes, imageConfig, pushImage, registrySkipReason, sha256, startRegistry } from '../registry/support/registry.ts';
import { startFaultProxy } from '../registry/support/faultProxy.ts';

export async function benchRegistry(root: string): Promise<BenchRow[]> {
  if (registrySkipReason()) return [];
  const reg = await startRegistry();
  const proxy = await startFaultProxy(reg.url);
  const work = mkdtempSync(join(tmpdir(), 'plimsoll-bench-reg-'));
  try {
    const images: string[] = [];
    for (let i = 0; i < 200; i++) {
      const repo = `bench/img${i % 40}`;
      const tag = `1.${Math.floor(i / 40)}.0`;
      const layer = deterministicBytes(`bench/${i}`, 256);
      await pushImage(reg, repo, [tag], { format: 'oci', layers: [layer], config: imageConfig({ diffIds: [sha256(layer)], steps: [{ createdBy: `ADD rootfs-${i}.tar / # buildkit` }] }) });
      images.push(`${proxy.host}/${repo}:${tag}`);
    }
    mkdirSync(join(work, '.git'));
    writeFileSync(join(work, '.plimsoll.yaml'), 'pinning:\n  level: digest\n');
    for (let f = 0; f < 1000; f++) {
      mkdirSync(join(work, `svc${f}`));
      writeFileSync(join(work, `svc${f}`, 'Dockerfile'), `FROM ${images[(f * 7) % 200]} AS build\nRUN make\nFROM ${images[(f * 13) % 200]}\nCOPY --from=build /out /out\n`);
    }
    const cache = join(work, '.cache');
    // Asynchronously: the counting proxy lives in this process and must keep serving while the CLI runs.
    const run = async (...extra: string[]) => {
      const before = proxy.records.length;
      const start = performance.now();
      await promisify(execFile)(process.execPath, [join(root, 'dist', 'cli.js'), 'lint', work, '--format', 'json', '-q', '--fail-on', 'never', '--cache-dir', cache, ...extra], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') },
      });
      return { ms: performance.now() - start, requests: proxy.records.length - before };
    };
    proxy.records.length = 0;
    const cold = await run();
    const warm = await run();
    const offline = await run('--offline');
    const none = await run('--no-registry');
    const fmt = (x: { ms: number; requests: number }) => `${(x.ms / 1000).toFixed(1)} s, ${x.requests} requests`;
    return [
      {
        what: 'Registry: 1,000 files naming 200 unique images (40 repositories), cold / warm / offline',
        result: `${fmt(cold)} / ${fmt(warm)} / ${fmt(offline)}`,
        beside: `no registry: ${(none.ms / 1000).toFixed(1)} s`,
        target: 'each unique image resolved once; offline: no requests',
      },
    ];
  } finally {
    await proxy.stop();
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
