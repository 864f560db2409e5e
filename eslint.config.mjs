import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import tseslint from 'typescript-eslint';

/** Which kinds of project may depend on which: apps → features → data-access/platform → util → contracts. */
const typeConstraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:none'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:util', 'type:contracts'] },
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:platform', 'type:util', 'type:contracts'],
  },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:platform', 'type:util', 'type:contracts'],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:data-access',
      'type:platform',
      'type:util',
      'type:contracts',
    ],
  },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:data-access',
      'type:platform',
      'type:util',
      'type:contracts',
    ],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:platform', 'type:util', 'type:contracts', 'type:testing'],
  },
];

/** Each service keeps to its own scope plus shared code; the portal sees only shared utilities. */
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:portal', onlyDependOnLibsWithTags: ['scope:portal', 'type:util'] },
  ...['auth', 'audit', 'orchestrator', 'executor', 'artifacts', 'gateway'].map((scope) => ({
    sourceTag: `scope:${scope}`,
    onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'],
  })),
];

/** Specs may also use the test tooling (real PostgreSQL, free ports); production code may not. */
const withTesting = (constraints) =>
  constraints.map((c) => ({
    ...c,
    onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'],
  }));

const boundaries = (constraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/.nx',
      '**/.angular',
      '**/tmp',
      'libs/contracts/src/generated/**',
    ],
  },
  ...nx.configs['flat/base'],
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([...typeConstraints, ...scopeConstraints]),
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // *.test-support.ts: helpers only specs import (jest does not run them as suites).
    files: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.contract-spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.scale-spec.ts',
      '**/*.test-support.ts',
    ],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@nx/enforce-module-boundaries': boundaries([
        ...withTesting(typeConstraints),
        ...withTesting(scopeConstraints),
      ]),
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
  },
  // Formatting is part of lint: a file Prettier would change fails `nx run-many -t lint`.
  prettierRecommended,
);
