// ESLint flat config: typescript-eslint's recommended rules over the whole repository.
// `npm run lint` runs it; layout and wrapping are Prettier's (`npm run format:check`), not ESLint's.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Every inline `eslint-disable` says why (`// eslint-disable-next-line rule -- why`), so a reader can judge it. */
const disableNeedsReason = {
  meta: { type: 'suggestion', docs: { description: 'require a reason on every eslint-disable comment' }, schema: [] },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const text = comment.value.trim();
          if (/^eslint-disable(-next-line|-line)?\b/.test(text) && !/\s--\s+\S/.test(text)) {
            context.report({ loc: comment.loc, message: 'say why the rule is disabled: `eslint-disable... rule -- reason`' });
          }
        }
      },
    };
  },
};

const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'require',
    'module',
    '__dirname',
    '__filename',
    'exports',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'fetch',
    'structuredClone',
    'performance',
    'queueMicrotask',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/cdk.out/**',
      '**/dist/**',
      '.local/**',
      'coverage/**',
      'bench-results/**',
      'test-artifacts/**',
      'model/artifacts/**',
      'test/fixtures/**',
      '**/__snapshots__/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: NODE_GLOBALS },
    plugins: { local: { rules: { 'disable-needs-reason': disableNeedsReason } } },
    rules: {
      'local/disable-needs-reason': 'error',
      // The code's convention for a deliberately unused name: a leading underscore
      // (a destructured field left out of a copy, a parameter an interface requires).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // CommonJS scripts (the SWC register, the lockfile tool, jest's serializer): require is their import.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests walk synthesized CloudFormation templates and parsed JSON bodies, which are untyped:
    // `any` is the honest type there. Shipped code (lib, lambda, contract, model, tools) stays without it.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
