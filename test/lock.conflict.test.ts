/**
 * conflictMarker finds the first merge-conflict marker line in one search (a lock of thousands
 * of entries is not split into lines); the line it reports is the one a line-by-line reading
 * finds. Table: the reference below is the line-by-line rule.
 */
import { describe, expect, it } from 'vitest';
import { conflictMarker } from '../src/resolve/lock.js';

function reference(text: string): number | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (/^(<{7}|>{7})( |\r?$)|^={7}\r?$|^\|{7}( |\r?$)/.test(lines[i]!)) return i + 1;
  return undefined;
}

const body = 'lockVersion: 1\nservices:\n  web:\n    dev:\n      tag: "1.0.0"\n';
const cases: [string, string][] = [
  ['no marker', body],
  ['ours at the top', `<<<<<<< HEAD\n${body}`],
  ['theirs at the end, no newline', `${body}>>>>>>> main`],
  ['separator alone', `${body}=======\n${body}`],
  ['separator with CRLF', `${body}=======\r\n`],
  ['base marker (diff3)', `${body}||||||| merged common ancestors\n`],
  ['base marker alone', `${body}|||||||\n`],
  ['markers without a space are text', `${body}<<<<<<<HEAD\n>>>>>>>x\n`],
  ['eight signs', `${body}<<<<<<<< HEAD\n========\n`],
  ['separator followed by text', `${body}======= x\n`],
  ['a CR inside a line is not a line end', `${body}=======\rx\n`],
  ['indented markers are YAML', `${body}  <<<<<<< HEAD\n`],
  ['the first of several', `${body}=======\n<<<<<<< a\n`],
  ['an empty text', ''],
  ['only a marker', '>>>>>>> '],
];

describe('conflictMarker', () => {
  it.each(cases)('%s', (_what, text) => {
    expect(conflictMarker('gitopsc.lock', text)?.line).toBe(reference(text));
  });

  it('a large lock is searched once', () => {
    const big = `${body.repeat(20_000)}>>>>>>> main\n`;
    expect(conflictMarker('gitopsc.lock', big)?.line).toBe(reference(big));
  });
});
