// Lint enforces who may import whom (as VS Code does): shared/ imports nothing, main/core/ never
// imports electron, renderer/ imports only shared/ and browser code, the proxy process no config code.
import js from '@eslint/js';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only main/electron/ may import electron.' };
const coreOnly = { group: ['**/renderer/**', '**/electron/**', '**/cli/**'], message: 'main/core/ is plain Node: it depends on shared/ only.' };

export default tseslint.config(
  { ignores: ['node_modules/', '.tsbuild/', 'dist/', 'out/', 'renderer/dist/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [electron] }],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./)', message: 'shared/ is the contract: it imports nothing but its own files.' }] },
      ],
    },
  },
  {
    files: ['main/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            coreOnly,
          ],
        },
      ],
    },
  },
  {
    // The proxy process loads only what it runs: no stack-file parsing or checking (config/).
    files: ['main/core/proxy/builtin/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            coreOnly,
            { group: ['**/config/**'], message: 'The proxy process does not load config code: move what it needs to main/core/proxy/ or shared/.' },
          ],
        },
      ],
    },
  },
  {
    // The process layer supervises processes; it knows nothing of pools, hosts or the control API.
    files: ['main/core/process/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            { group: ['**/renderer/**', '**/electron/**', '**/cli/**'], message: 'main/core/ is plain Node: it depends on shared/ only.' },
            { regex: '^\\.\\./(control|host|pools)/|^\\.\\./stack\\.ts$', message: 'The process layer imports neither the control API, the host, the pools nor the Stack.' },
          ],
        },
      ],
    },
  },
  {
    // A cycle means two modules are one; the architecture note in the README names the rooms.
    files: ['main/**/*.ts', 'shared/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx'],
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.tsx'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['main/electron/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**'], message: 'The shell talks to the renderer over IPC only.' }] }] },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            { regex: '^node:', message: 'The renderer runs in a browser: no Node modules.' },
            { group: ['**/main/**'], message: 'The renderer talks to the core through the typed client in shared/ only.' },
          ],
        },
      ],
    },
  },
);
