import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'fixtures/**', '.gitopsc/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', performance: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // the tool itself: commands return exit codes, only bin.ts sets process.exitCode
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']", message: 'The CLI returns an exit code; never call process.exit() deep inside.' }],
    },
  },
  { files: ['src/cli/bin.ts', 'src/cli/bin-commonjs.ts', 'src/cli/start.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
