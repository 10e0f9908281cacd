/** examples/lambda-apply.sh, run by bash against a stub `aws` on PATH that records its calls. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../examples/lambda-apply.sh');

// The stub answers like the AWS CLI would: exit status for get-function/get-alias from the
// environment, a version number for create-function (1) and publish-version (2).
const STUB = `#!/usr/bin/env bash
echo "$*" >> "$STUB_LOG"
case "$1 $2" in
  "sts get-caller-identity") echo "$STUB_ACCOUNT" ;;
  "lambda get-function") [[ "$STUB_FUNCTION" == yes ]] || { echo "ResourceNotFoundException" >&2; exit 254; } ;;
  "lambda get-alias") [[ "$STUB_ALIAS" == yes ]] || { echo "ResourceNotFoundException" >&2; exit 254; } ;;
  "lambda create-function") echo 1 ;;
  "lambda publish-version") echo 2 ;;
esac
`;

function run(opts: { fn: boolean; alias: boolean; account?: string; pinned?: string; target?: boolean }): { code: number; calls: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-apply-'));
  const bin = join(dir, 'bin');
  const out = join(dir, 'rendered/prod/fn');
  mkdirSync(bin);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(bin, 'aws'), STUB);
  chmodSync(join(bin, 'aws'), 0o755);
  writeFileSync(join(out, 'function.json'), '{\n  "FunctionName": "fn",\n  "Publish": true,\n  "Role": "arn:aws:iam::123456789012:role/fn"\n}\n');
  writeFileSync(join(out, 'update-function-code.json'), '{\n  "FunctionName": "fn",\n  "Publish": true\n}\n');
  writeFileSync(join(out, 'update-function-configuration.json'), '{\n  "FunctionName": "fn"\n}\n');
  writeFileSync(join(out, 'alias.json'), `{\n  "FunctionName": "fn",\n  "FunctionVersion": "${opts.pinned ?? '$LATEST'}",\n  "Name": "live"\n}\n`);
  if (opts.target !== false) writeFileSync(join(out, 'target.json'), '{\n  "account": "123456789012",\n  "region": "eu-west-1"\n}\n');
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const r = spawnSync('bash', [SCRIPT, out], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, STUB_LOG: log, STUB_FUNCTION: opts.fn ? 'yes' : 'no', STUB_ALIAS: opts.alias ? 'yes' : 'no', STUB_ACCOUNT: opts.account ?? '123456789012' },
  });
  const calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.replaceAll(out, 'DIR'));
  return { code: r.status ?? -1, calls, stderr: r.stderr };
}

const R = '--region eu-west-1';

describe('examples/lambda-apply.sh', () => {
  it('creates a missing function and its alias at the published version', () => {
    const r = run({ fn: false, alias: false });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      `sts get-caller-identity --query Account --output text ${R}`,
      `lambda get-function --function-name fn ${R}`,
      `lambda create-function --cli-input-json file://DIR/function.json --query Version --output text ${R}`,
      `lambda wait function-active --function-name fn ${R}`,
      `lambda get-alias --function-name fn --name live ${R}`,
      `lambda create-alias --cli-input-json file://DIR/alias.json --function-version 1 ${R}`,
    ]);
  });
  it('updates configuration and code of an existing function, publishes, moves the alias', () => {
    const r = run({ fn: true, alias: true });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      `sts get-caller-identity --query Account --output text ${R}`,
      `lambda get-function --function-name fn ${R}`,
      `lambda update-function-configuration --cli-input-json file://DIR/update-function-configuration.json ${R}`,
      `lambda wait function-updated --function-name fn ${R}`,
      `lambda update-function-code --cli-input-json file://DIR/update-function-code.json ${R}`,
      `lambda wait function-updated --function-name fn ${R}`,
      `lambda publish-version --function-name fn --query Version --output text ${R}`,
      `lambda get-alias --function-name fn --name live ${R}`,
      `lambda update-alias --cli-input-json file://DIR/alias.json --function-version 2 ${R}`,
    ]);
  });
  it('a pinned alias version wins; no target.json means no --region and no account check', () => {
    const r = run({ fn: true, alias: true, pinned: '7', target: false });
    expect(r.code).toBe(0);
    expect(r.calls.at(-1)).toBe('lambda update-alias --cli-input-json file://DIR/alias.json --function-version 7');
    expect(r.calls.some((c) => c.startsWith('sts'))).toBe(false);
  });
  it('refuses credentials of another account and changes nothing', () => {
    const r = run({ fn: true, alias: true, account: '999999999999' });
    expect(r.code).toBe(1);
    expect(r.calls).toEqual([`sts get-caller-identity --query Account --output text ${R}`]);
    expect(r.stderr).toMatch(/999999999999/);
  });
});
