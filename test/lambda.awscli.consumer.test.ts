/**
 * The aws-cli files of a Lambda service against a real consumer, the AWS CLI's own parameter
 * validation (botocore's model of each request). (The rest of the Lambda outputs:
 * test/lambda.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, IMAGE, ZIP, config, rendered } from './helpers/lambda.js';

// The AWS CLI's own parameter validation (botocore's model) runs before any request: an
// unreachable endpoint turns "validation passed" into a connection error.
// Debian's awscli (what .ci/run installs) when present, else whichever `aws` is on PATH
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
/**
 * The interpreter of an `aws` that is a Python script (Debian's: `#!/usr/bin/python3`, then
 * `awscli.clidriver.main()`); null for any other kind (AWS's bundled installer), which is run
 * once per check instead.
 */
const awsPython = ((): string | null => {
  if (!existsSync(AWS)) return null;
  const text = readFileSync(AWS, 'latin1');
  const shebang = /^#!(\S*python3?)\s*\n/.exec(text)?.[1];
  return shebang && existsSync(shebang) && text.includes('awscli.clidriver') ? shebang : null;
})();
// Debian's awscli script is there: the checks run (and fail loudly if it is broken); any other
// `aws` is asked for its version first (a Python start-up of about 1 s of CPU saved when not)
const haveAws = awsPython !== null || spawnSync(AWS, ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveAws) console.log('skipping the AWS CLI checks: no working `aws` (Debian package awscli; .ci/run installs it)');
/**
 * Runs the `aws` script itself once per command line inside one Python process (runpy, as the
 * interpreter runs it from its shebang; its `sys.exit` caught): the CLI's own argument parsing
 * and parameter validation, without paying Python's and botocore's start-up (about 0.9 s of CPU)
 * per file. Prints each command's stdout and stderr, then a line naming its exit status.
 */
const AWS_BATCH = `
import json, os, runpy, sys
os.dup2(1, 2)
aws = sys.argv[1]
for args in json.load(sys.stdin):
    sys.argv = [aws] + args
    try:
        runpy.run_path(aws, run_name='__main__')
        rc = 0
    except SystemExit as e:
        rc = e.code
    sys.stdout.flush()
    sys.stderr.flush()
    print('\\n@@gitopsc-aws-exit %s@@' % rc, flush=True)
`;

describe.skipIf(!haveAws)('aws-cli files against the AWS CLI', { concurrent: true }, () => {
  const OPS: Record<string, string[]> = {
    'function.json': ['create-function'],
    'update-function-code.json': ['update-function-code'],
    'update-function-configuration.json': ['update-function-configuration'],
    'alias.json': ['create-alias'],
  };
  function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<string> {
    return new Promise((done) => {
      const c = spawn(file, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 60_000 });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => done(out));
      if (input !== undefined) c.stdin!.end(input);
    });
  }
  /**
   * What `aws lambda <op> --cli-input-json file://...` prints for each of `checks` (stdout and
   * stderr together): one Python process for all of them when `aws` is a Python script, else
   * one `aws` process each, side by side.
   */
  async function check(checks: { op: string; json: unknown }[], batch = awsPython !== null): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'gitopsc-awscli-'));
    const argv = checks.map(({ op, json }, i) => {
      const file = join(dir, `in-${i}.json`);
      writeFileSync(file, JSON.stringify(json));
      return ['lambda', op, '--cli-input-json', `file://${file}`, '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--cli-connect-timeout', '1', '--cli-read-timeout', '1'];
    });
    const env = { PATH: process.env.PATH ?? '', HOME: dir, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    if (!batch) return Promise.all(argv.map((args) => run(AWS, args, env)));
    const out = await run(awsPython!, ['-c', AWS_BATCH, AWS], env, JSON.stringify(argv));
    const parts = out.split(/\n@@gitopsc-aws-exit \S+@@\n/);
    expect(parts, out).toHaveLength(checks.length + 1);
    return parts.slice(0, checks.length);
  }
  const WRONG = { what: 'a wrong key', op: 'update-function-code', json: { FunctionName: 'f', Code: {} } };
  const GOOD = { what: 'a good file', op: 'update-function-code', json: { FunctionName: 'f', ZipFile: 'eA==' } };
  const FUNCTIONS: [kind: string, svc: Record<string, string>, name: string][] = [
    ['zip', { 'services/fn.yaml': ZIP }, 'fn'],
    ['image', { 'services/img.yaml': IMAGE }, 'img'],
  ];
  /**
   * The checks of the cases below, by case, run as one batch (one Python process, about 1 s of
   * CPU each, instead of one per case): the batch's own check (a good file between two bad
   * ones) and every aws-cli file of each kind of function.
   */
  const outputs = new Map<string, string[]>();
  const byCase = new Map<string, { what: string; op: string; json: unknown }[]>();
  beforeAll(async () => {
    if (awsPython !== null) byCase.set('batch', [WRONG, GOOD, WRONG]);
    for (const [kind, svc, name] of FUNCTIONS) {
      const out = await rendered({ 'gitopsc.config.yaml': config(), 'catalog.yaml': CATALOG, ...svc });
      byCase.set(
        kind,
        Object.entries(OPS).flatMap(([file, ops]) => {
          const json = out.get(`dev/${name}/${file}`);
          expect(json, file).toBeDefined();
          return ops.map((op) => ({ what: `${op} ${file}`, op, json }));
        }),
      );
    }
    const texts = await check([...byCase.values()].flat());
    let at = 0;
    for (const [key, list] of byCase) outputs.set(key, texts.slice(at, (at += list.length)));
  }, 120_000);
  it('a wrong key is refused before any request (the check is real), by the `aws` command and in a batch', { timeout: 120_000 }, async () => {
    const [alone] = await check([WRONG], false);
    expect(alone).toMatch(/Unknown parameter/);
    if (awsPython === null) return;
    // the batch tells each command's output apart: a good file between two bad ones
    const batch = outputs.get('batch')!;
    expect(batch.map((o) => /Unknown parameter/.test(o))).toEqual([true, false, true]);
    expect(batch[1]).toMatch(/Could not connect/);
  });
  it.each(FUNCTIONS.map(([kind]) => kind))('every aws-cli file of a %s function passes parameter validation', (kind) => {
    const texts = outputs.get(kind)!;
    const list = byCase.get(kind)!;
    expect(texts).toHaveLength(list.length);
    list.forEach(({ what }, i) => {
      expect(texts[i], what).not.toMatch(/Parameter validation failed|Unknown parameter|Invalid type|Missing required/);
      expect(texts[i], what).toMatch(/Could not connect|connect|Connection/i);
    });
  });
});
