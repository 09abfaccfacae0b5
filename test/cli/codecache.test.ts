// dist/cli.js is a loader that compiles dist/cli-main.js with a V8 code cache. The cache may only make
// start-up faster: output and exit codes are the same with it, without it, and with a broken one.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { workspace } from '../support/workspace.ts';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

const dir = workspace({ Dockerfile: 'FROM node\nRUN apt-get install -y curl\n' }, 'plimsoll-codecache-');
const LINT = ['lint', '.', '--no-registry', '--format', 'json', '--fail-on', 'warning'];

function run(cache: string, args: string[], env: NodeJS.ProcessEnv = {}, node: string[] = []) {
  const r = spawnSync(process.execPath, [...node, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: '2026-06-15', PLIMSOLL_NO_CODE_CACHE: '', XDG_CACHE_HOME: cache, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tempCache = () => mkdtempSync(join(tmpdir(), 'plimsoll-codecache-xdg-'));
const cacheFolder = (cache: string) => join(cache, 'plimsoll', 'code-v1');

/** The one cache file (and that nothing else, such as a temp file, was left beside it). */
function cacheFile(cache: string): string {
  const names = readdirSync(cacheFolder(cache));
  assert.equal(names.length, 1, names.join(', '));
  assert.match(names[0]!, /^cli-[0-9a-f]+\.bin$/);
  return join(cacheFolder(cache), names[0]!);
}

function identity(file: string): string {
  const s = statSync(file, { bigint: true });
  return `${s.ino}:${s.mtimeNs}:${s.size}`;
}

// What the CLI says with no cache at all; every other run must say exactly this.
let expected: Record<string, ReturnType<typeof run>>;
const COMMANDS: Record<string, string[]> = {
  lint: LINT,
  clean: ['lint', '.', '--no-registry', '--fail-on', 'never'],
  usage: ['lint', '--format', 'yaml'],
  version: ['--version'],
};

before(() => {
  if (!existsSync(CLI)) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const none = tempCache();
  expected = Object.fromEntries(Object.entries(COMMANDS).map(([name, args]) => [name, run(none, args, { PLIMSOLL_NO_CODE_CACHE: '1' })]));
  assert.equal(existsSync(join(none, 'plimsoll')), false, 'PLIMSOLL_NO_CODE_CACHE=1 writes nothing');
});

function assertSame(name: string, got: ReturnType<typeof run>): void {
  assert.deepEqual(got, expected[name], name);
}

describe('code cache', () => {
  test('the baseline: findings exit 1, a clean threshold 0, a usage error 2', () => {
    assert.equal(expected['lint']!.code, 1, expected['lint']!.err);
    assert.ok((JSON.parse(expected['lint']!.out) as { findings: unknown[] }).findings.length > 0);
    assert.equal(expected['clean']!.code, 0);
    assert.equal(expected['usage']!.code, 2);
    assert.match(expected['usage']!.err, /Usage: plimsoll lint/);
    assert.match(expected['version']!.out, /^\d+\.\d+\.\d+/);
  });

  test('the first run writes the cache; later runs use it and leave it alone', () => {
    const cache = tempCache();
    assertSame('lint', run(cache, LINT));
    const file = cacheFile(cache);
    const written = identity(file);
    // A cache V8 rejected would be written again, so an untouched file is one that was used.
    for (const name of Object.keys(COMMANDS)) assertSame(name, run(cache, COMMANDS[name]!));
    assert.equal(identity(file), written);
    assert.equal(cacheFile(cache), file);
  });

  test('PLIMSOLL_NO_CODE_CACHE=1 writes nothing and leaves an existing cache alone', () => {
    const cache = tempCache();
    assertSame('lint', run(cache, LINT, { PLIMSOLL_NO_CODE_CACHE: '1' }));
    assert.equal(existsSync(join(cache, 'plimsoll')), false);
    run(cache, LINT);
    const file = cacheFile(cache);
    writeFileSync(file, Buffer.concat([readFileSync(file).subarray(0, 200), Buffer.alloc(1000, 7)]));
    const before = identity(file);
    assertSame('lint', run(cache, LINT, { PLIMSOLL_NO_CODE_CACHE: '1' }));
    assert.equal(identity(file), before);
  });

  // Each damage is repaired by the next run: the file is replaced by a good one, which the run after uses.
  const damages: Record<string, (bytes: Buffer, header: number) => Buffer> = {
    'garbage': (bytes) => Buffer.alloc(bytes.length, 0xa5),
    'empty': () => Buffer.alloc(0),
    'header only': (bytes, header) => bytes.subarray(0, header),
    'truncated': (bytes, header) => bytes.subarray(0, header + Math.floor((bytes.length - header) / 2)),
    'bytes flipped after an intact header': (bytes, header) => {
      const out = Buffer.from(bytes);
      for (let i = 0; i < 64; i++) {
        const at = header + 16 + Math.floor(((out.length - header - 16) * i) / 64);
        out[at] = out[at]! ^ 0x5a;
      }
      return out;
    },
    'a cache of another bundle': (bytes, header) => Buffer.concat([Buffer.from(`${bytes.subarray(0, header - 1).toString()}0\n`), bytes.subarray(header)]),
  };
  for (const [what, damage] of Object.entries(damages)) {
    test(`a damaged cache (${what}) changes nothing and is replaced`, () => {
      const cache = tempCache();
      run(cache, LINT);
      const file = cacheFile(cache);
      const good = readFileSync(file);
      writeFileSync(file, damage(good, good.indexOf(0x0a) + 1));
      const damaged = identity(file);
      assertSame('lint', run(cache, LINT));
      assert.notEqual(identity(file), damaged, 'rewritten');
      const repaired = identity(file);
      assertSame('lint', run(cache, LINT));
      assert.equal(identity(file), repaired, 'the repaired cache is used');
    });
  }

  test('a cache folder that cannot be written changes nothing', () => {
    // A file where a folder should be: refused even to root, unlike a read-only mode.
    const blockedRoot = join(tempCache(), 'not-a-folder');
    writeFileSync(blockedRoot, 'x');
    const blockedLeaf = tempCache();
    mkdirSync(join(blockedLeaf, 'plimsoll'));
    writeFileSync(cacheFolder(blockedLeaf), 'x');
    for (const cache of [blockedRoot, blockedLeaf]) {
      for (const name of Object.keys(COMMANDS)) assertSame(name, run(cache, COMMANDS[name]!));
    }
    assert.equal(readFileSync(blockedRoot, 'utf8'), 'x');
    assert.equal(readFileSync(cacheFolder(blockedLeaf), 'utf8'), 'x');
  });

  test('with --enable-source-maps, and run directly as dist/cli-main.js, the output is the same', () => {
    const cache = tempCache();
    assertSame('lint', run(cache, LINT, {}, ['--enable-source-maps']));
    const direct = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli-main.js'), ...LINT], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', PLIMSOLL_TODAY: '2026-06-15', XDG_CACHE_HOME: cache },
    });
    assert.deepEqual({ code: direct.status, out: direct.stdout, err: direct.stderr }, expected['lint']);
  });
});
