// Bundles the three faces. The CLI and server need nothing from node_modules at run time; the extension keeps
// `vscode` external.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// Minified: a smaller bundle compiles faster at every CLI start; the linked source maps keep stacks readable.
// No keepNames: it wraps every closure at creation, which costs in the engine's hot paths.
const common = {
  define: { PLIMSOLL_VERSION: JSON.stringify(pkg.version) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minify: true,
  logLevel: 'warning',
  // No `module` condition: dockerfile-ast require()s vscode-languageserver-types and -textdocument, and their
  // ESM builds come through esbuild's ESM-to-CommonJS bridge, where every `Range.create` or `positionAt`
  // reached through the module object is a getter call (3% of a parse). Their CommonJS builds have none.
  conditions: [],
  // server.ts imports TextDocument with `import`, which would still pick the ESM build: one copy, the CommonJS one.
  alias: { 'vscode-languageserver-textdocument': './node_modules/vscode-languageserver-textdocument/lib/umd/main.js' },
};

// undici is half of what the CLI and server would otherwise compile at every start, and only a registry
// request needs it: it is its own file, dist/undici.js, which `import('undici')` (registry/undici.ts) requires
// on the first request.
const undiciChunk = {
  name: 'undici-chunk',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-chunk' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-chunk' }, () => ({ contents: 'module.exports = require("./undici.js");' }));
    b.onResolve({ filter: /^\.\/undici\.js$/, namespace: 'undici-chunk' }, () => ({ path: './undici.js', external: true }));
  },
};

const entries = [
  // dist/cli.js is a small loader that compiles dist/cli-main.js with a V8 code cache (server/src/cli/loader.ts).
  { entryPoints: ['server/src/cli/loader.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, sourcemap: false, minify: false },
  { entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli-main.js', plugins: [undiciChunk] },
  { entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js', plugins: [undiciChunk] },
  { entryPoints: { undici: 'node_modules/undici/index.js' }, outdir: 'dist' },
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
];
const source = (e) => (Array.isArray(e.entryPoints) ? e.entryPoints[0] : Object.values(e.entryPoints)[0]);
await Promise.all(entries.filter((e) => existsSync(source(e))).map((e) => build({ ...common, ...e })));
