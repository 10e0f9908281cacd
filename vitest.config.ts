import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that spend most of their time waiting on other processes (npm, pre-commit, git, the
 * real registries, SIGKILL trials): started first, slowest first, so that they overlap with the
 * CPU-bound files instead of ending the run alone. Measured with `--reporter=json`; a file
 * missing here only runs later.
 */
const SLOW_FIRST = [
  'test/pre-commit.consumer.test.ts',
  // the longest file after pre-commit (105 s of a loaded run: 21 cases in order, each a few
  // publishes into real repositories): fourth, it started 40 s into the run
  'test/git-publish.test.ts',
  'test/install.consumer.test.ts',
  'test/git-hook.test.ts',
  'test/publish.own.test.ts',
  // with the consumer checks out of `npm test`, the next longest (36-37 s of a loaded run), which had started two minutes in
  'test/publish.early.test.ts',
  'test/publish.shared.test.ts',
  // waits for the README example that test/install.consumer.test.ts runs (npm pack, npm install and five
  // npx runs, test/helpers/pack.ts): started third it kept a worker idle for a minute
  'test/api.pack.consumer.test.ts',
  'test/lambda.test.ts',
  'test/lambda.awscli.consumer.test.ts',
  'test/cache.test.ts',
  'test/template.property.test.ts',
  'test/git-objects.test.ts',
  'test/cli.tty.test.ts',
  'test/completion.consumer.test.ts',
  'test/render.kill.test.ts',
  'test/filesystem.test.ts',
  'test/render.fast.test.ts',
  'test/stage.test.ts',
  'test/har-layout.test.ts',
];

/** Files with wall-clock bounds on in-process work (linear-time regexes, 20,000 tags): last, when the heavy files are done. */
const LAST = ['test/select.unit.test.ts', 'test/regex.linear.test.ts'];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      if (LAST.some((s) => f.moduleId.endsWith(s))) return SLOW_FIRST.length + 1;
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(s));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    const rest = await super.sort(files);
    return [...rest].sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Which tests a run takes (GITOPSC_TESTS, set by the package.json scripts):
 * - `own` (`npm test`): gitopsc's own behaviour, against the real registry, real git and the real CLI;
 * - `consumers` (`npm run test:consumers`): the checks by other programs, the files named
 *   `*.consumer.test.ts` (npm pack/install/npx, the packed package imported by node and tsc,
 *   pre-commit, kubectl, the AWS CLI, actionlint, yaml-language-server, PyYAML, the shells' completion);
 * - `all` (`npm run test:all`, `npm run test:update`, .ci/run), also when unset (`npx vitest run <file>`
 *   runs the file named): both, in one run (one global setup, one CLI build, one `npm pack`).
 */
const CONSUMER = '**/*.consumer.test.ts';
const ALL = ['test/**/*.test.ts', 'src/**/*.test.ts'];
const which = process.env.GITOPSC_TESTS ?? 'all';
if (!['own', 'consumers', 'all'].includes(which)) throw new Error(`GITOPSC_TESTS=${which}: expected own, consumers or all`);

export default defineConfig({
  test: {
    include: which === 'consumers' ? ALL.map((g) => g.replace('*.test.ts', '*.consumer.test.ts')) : ALL,
    exclude: [...configDefaults.exclude, ...(which === 'own' ? [CONSUMER] : [])],
    // a hang guard, not a speed check: cases now share the CPU with two other workers
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // one module graph per worker, not per file: every file imports the pipeline (ajv, yaml,
    // handlebars, the AWS SDK) and compiles the JSON schemas on first use; per file that was
    // most of the suite's CPU time. Files still run one at a time in a worker, and clean up
    // after themselves (test/setup.ts). So a test file must leave no global state behind
    // (process.env, vi.mock, module-level registries): the next file in its worker sees it.
    isolate: false,
    // most slow files wait on child processes, not on this CPU: more workers than cores
    maxWorkers: 3,
    setupFiles: ['test/setup.ts'],
    sequence: { sequencer: SlowFirst },
    globalSetup: ['test/global-setup.ts'],
  },
});
