// Pictor's ESLint configuration, built for a given repository root so that the lint test can run the
// same rules on fixture files laid out like the repository in a temporary folder.
// Rules that catch bugs and keep the floors; no formatting rules (nothing here rewrites style).
// Not type-aware: type-checked rules would parse every file through the TypeScript program and take
// minutes on two cores, and tsc + svelte-check already run in CI.
import { join } from 'node:path'
import js from '@eslint/js'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import { floorZones } from './floors.js'

/**
 * @param {string} root absolute path of the repository (or of a folder laid out like it)
 * @returns {import('eslint').Linter.Config[]}
 */
export function pictorLintConfig(root) {
  return [
    {
      // What .gitignore leaves out: build output, reports, Vite's temporary config bundles.
      ignores: ['out/**', 'dist/**', 'test-results/**', 'playwright-report/**', '.cache/**', 'electron.vite.config.ts.*.mjs']
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    ...svelte.configs['flat/recommended'],
    {
      languageOptions: {
        ecmaVersion: 2023,
        sourceType: 'module',
        globals: { ...globals.node }
      }
    },
    {
      files: ['src-renderer/**'],
      languageOptions: { globals: { ...globals.browser } }
    },
    {
      // Components and rune state modules: the Svelte parser, with TypeScript for their scripts.
      files: ['**/*.svelte', '**/*.svelte.ts'],
      languageOptions: {
        parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }
      }
    },
    {
      // TypeScript (tsc, svelte-check) already reports undefined names, with the right globals per side.
      files: ['**/*.ts', '**/*.svelte'],
      rules: { 'no-undef': 'off' }
    },
    {
      rules: {
        // A leading underscore marks a deliberately unused name; `{ dropped: _dropped, ...rest }` omits a field.
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }
        ],
        // The state classes replace whole collections held in $state.raw (or bump a version counter) on
        // purpose; SvelteMap/SvelteSet would make every lookup reactive, which is what they avoid.
        'svelte/prefer-svelte-reactivity': 'off'
      }
    },
    {
      // CommonJS where a tool loads the file with require() (parsed as a module all the same: the
      // Svelte plugin's no-inner-declarations fails on CommonJS scopes under ESLint 10).
      files: ['**/*.cjs'],
      rules: { '@typescript-eslint/no-require-imports': 'off' }
    },
    {
      // Playwright fixtures must destructure their first parameter even when they use no fixture.
      files: ['test/e2e/**'],
      rules: { 'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }] }
    },
    {
      plugins: { 'import-x': importX },
      settings: {
        'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs', '.svelte'],
        'import-x/parsers': {
          '@typescript-eslint/parser': ['.ts'],
          [join(import.meta.dirname, 'svelte-imports-parser.cjs')]: ['.svelte']
        },
        'import-x/resolver-next': [
          createTypeScriptImportResolver({
            // The root config refers to the node and web configs; the web one carries the @contract alias.
            project: join(root, 'tsconfig.json')
          })
        ]
      },
      rules: {
        'import-x/no-restricted-paths': ['error', { basePath: root, zones: floorZones() }],
        // The floor rule can only judge an import it can follow: one it cannot resolve must not pass unseen.
        'import-x/no-unresolved': 'error',
        'import-x/no-self-import': 'error'
      }
    },
    {
      // A circle can run only through the app's own modules (they never import tests or scripts), so
      // the costliest rule looks only there.
      files: ['src-main/**', 'src-renderer/**'],
      rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] }
    }
  ]
}
