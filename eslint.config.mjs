// Folder boundaries (ARCHITECTURE.md invariants) are enforced here, not by convention.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vscodeOnly = { group: ['vscode', 'vscode-*'], message: 'Only server/src/lsp and client/ talk to VS Code.' };
const noFs = { group: ['fs', 'node:fs', 'fs/*', 'node:fs/*', 'child_process', 'node:child_process'], message: 'core is pure: I/O happens at the edges.' };
const noHttp = { group: ['undici', 'http', 'https', 'node:http', 'node:https', 'node:net', 'net'], message: 'Only server/src/registry talks HTTP.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', '.tmp/**', '**/*.mjs', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself tracks.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['server/src/core/**/*.ts', 'server/src/rules/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [vscodeOnly, noFs, noHttp] }] },
  },
  {
    files: ['server/src/policy/**/*.ts', 'server/src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [vscodeOnly, noHttp] }] },
  },
  {
    files: ['server/src/registry/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [vscodeOnly] }] },
  },
  {
    files: ['server/src/lsp/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', 'vscode-languageclient', 'vscode-languageclient/*'], message: 'The server never imports the VS Code API.' }, noHttp] }] },
  },
);
