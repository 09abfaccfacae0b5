// dist/cli.js, the `plimsoll` command: a few lines that compile the real bundle (dist/cli-main.js) with a V8
// code cache, so a run skips most of parsing and compiling it, then call its `runCli`. The cache can only make
// start-up faster, never change behaviour: any failure to read, check or write it means compiling from
// source, silently. Only node builtins here: this runs before anything else is loaded.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

const BUNDLE = join(__dirname, 'cli-main.js');
// The bundle runs as a CommonJS module would; the line break keeps its line numbers (lineOffset -1).
const HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
const TAIL = '\n})';

/** What cli/main.ts exports. */
interface Exports {
  runCli?: (argv: string[]) => Promise<void>;
}
type ModuleFunction = (exports: Exports, require: NodeJS.Require, module: { exports: Exports }, filename: string, dirname: string) => void;

interface CodeCache {
  file: string;
  /** Says which bundle, Node and V8 the bytes belong to; a file that does not start with it is ignored. */
  header: Buffer;
  data?: Buffer;
}

function disabled(): boolean {
  const v = process.env['PLIMSOLL_NO_CODE_CACHE'];
  // getBuiltinModule (Node >= 20.16) loads node:v8 only when needed, see checksums().
  return (v !== undefined && v !== '' && v !== '0') || typeof process.getBuiltinModule !== 'function';
}

/** Where `defaultCacheDir` (registry/cache.ts) puts the registry cache, in `code-v1/`. */
function cacheFile(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  // node:os only when HOME is unset: loading it is start-up time every other run would pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const root = xdg !== undefined && xdg !== '' ? xdg : join(process.env['HOME'] ?? (require('node:os') as typeof import('node:os')).homedir(), '.cache');
  // One file per install location (FNV-1a of the path), so upgrades replace it instead of piling up.
  let h = 0x811c9dc5;
  for (let i = 0; i < BUNDLE.length; i++) h = Math.imul(h ^ BUNDLE.charCodeAt(i), 0x01000193);
  return join(root, 'plimsoll', 'code-v1', `cli-${(h >>> 0).toString(16)}.bin`);
}

// V8 checks a cache's version, flags and source length, but without this flag not its bytes, and a damaged
// cache crashes the process. With it V8 writes and checks a checksum and rejects a damaged cache.
function checksums(): void {
  process.getBuiltinModule('node:v8').setFlagsFromString('--verify-snapshot-checksum');
}

function readCache(size: bigint, mtimeNs: bigint, ino: bigint): CodeCache | undefined {
  try {
    const file = cacheFile();
    const key = ['plimsoll code cache 1', process.version, process.versions.v8, process.arch, BUNDLE, size, mtimeNs, ino].join(' ');
    const header = Buffer.from(`${key}\n`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return { file, header };
    }
    if (bytes.length <= header.length || !bytes.subarray(0, header.length).equals(header)) return { file, header };
    checksums();
    return { file, header, data: bytes.subarray(header.length) };
  } catch {
    return undefined;
  }
}

function writeCache(script: Script, cache: CodeCache): void {
  const tmp = `${cache.file}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    // The file is opened before V8 serialises anything, so a read-only cache folder costs next to nothing.
    mkdirSync(dirname(cache.file), { recursive: true });
    fd = openSync(tmp, 'w');
    checksums();
    writeFileSync(fd, Buffer.concat([cache.header, script.createCachedData()]));
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, cache.file);
  } catch {
    try {
      if (fd !== undefined) closeSync(fd);
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

/** The compiled bundle, and whether V8 took the cache (a cache it did not take is written again). */
function compile(source: string, cachedData: Buffer | undefined): { script: Script; cached: boolean } {
  const options = {
    filename: BUNDLE,
    lineOffset: -1,
    // Like a module: a dynamic import() in the bundle goes through Node's own loader.
    ...(vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER !== undefined ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  };
  if (cachedData !== undefined) {
    try {
      const script = new Script(HEAD + source + TAIL, { ...options, cachedData });
      return { script, cached: script.cachedDataRejected !== true };
    } catch {
      // compiled again below without the cache, so an error is the source's own
    }
  }
  return { script: new Script(HEAD + source + TAIL, options), cached: false };
}

function entry(exports: Exports): NonNullable<Exports['runCli']> {
  if (typeof exports.runCli !== 'function') throw new Error(`${BUNDLE} exports no runCli()`);
  return exports.runCli;
}

function start(): void {
  // Node maps stack traces (--enable-source-maps) only for what its own loader compiled.
  if (process.sourceMapsEnabled) {
    void entry(createRequire(__filename)(BUNDLE) as Exports)(process.argv.slice(2));
    return;
  }
  // Identity first, then bytes: a bundle replaced in between leaves a cache under a key no later run matches.
  const stat = statSync(BUNDLE, { bigint: true });
  const cache = disabled() ? undefined : readCache(stat.size, stat.mtimeNs, stat.ino);
  const source = readFileSync(BUNDLE, 'utf8');
  const { script, cached } = compile(source, cache?.data);
  const module = { exports: {} as Exports };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  const done = entry(module.exports)(process.argv.slice(2));
  // Written after the run, so the functions the run compiled lazily are in the cache too.
  if (cache !== undefined && !cached) {
    const write = () => writeCache(script, cache);
    void done.then(write, write);
  }
}

start();
