// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'deploy/**',
      'dashboards/**',
      'docs/**',
      '.scratch*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // The decision core is pure: it imports nothing outside src/core, reads no clock and starts no timer.
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // src/core is one flat folder: only './x.ts' imports stay inside it.
            { regex: '^(?!\\./)', message: 'src/core imports nothing outside src/core.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'src/core has no timers: time is an argument.' },
        { name: 'setInterval', message: 'src/core has no timers: time is an argument.' },
        { name: 'setImmediate', message: 'src/core has no timers.' },
        { name: 'fetch', message: 'src/core does no I/O.' },
        { name: 'process', message: 'src/core reads no environment.' },
        { name: 'performance', message: 'src/core reads no clock.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/core reads no clock: time is an argument.' },
        { object: 'Math', property: 'random', message: 'src/core is deterministic.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'src/core reads no clock.',
        },
      ],
    },
  },
  // Adapters never import each other; the controller talks to ports, never to adapters.
  {
    files: ['src/controller/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../kube/*', '../aci/*', '../signals/*', '../sim/*', '../cli/*'],
              message: 'The controller talks to ports, never to adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/kube/**/*.ts', 'src/aci/**/*.ts', 'src/signals/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../kube/*', '../aci/*', '../signals/*', '../sim/*', '../cli/*', '../controller/*'],
              message: 'Adapters import ports/core types and their SDK, never each other.',
            },
          ],
        },
      ],
    },
  },
);
