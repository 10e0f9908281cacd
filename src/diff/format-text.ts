/** Plain-text rendering of a DiffResult for a terminal: summary first, then unified diffs. */
import { describeVersion, printable, type DiffResult } from './compare.js';

const STATUS = { added: 'A', changed: 'M', removed: 'D' } as const;

export function formatText(diff: DiffResult): string {
  const out: string[] = [];
  if (!diff.changed) {
    return `No changes in rendered output between ${diff.baseLabel} and ${diff.headLabel}.\n` + `(compare with another revision with --base REF, e.g. --base HEAD~1)\n`;
  }
  out.push(`gitopsc diff: ${diff.baseLabel} -> ${diff.headLabel}`, '');
  if (diff.artifacts.length > 0) {
    out.push('Artifact versions:');
    for (const a of diff.artifacts) {
      out.push(`  ${a.service}/${a.environment}: ${printable(describeVersion(a.old))} -> ${printable(describeVersion(a.new))}`);
    }
    out.push('');
  }
  out.push(`Files: ${counts(diff)}`);
  for (const f of diff.files) {
    out.push(`  ${STATUS[f.status]} ${joinPath(diff.outputDir, f.path)} (+${f.additions} -${f.deletions})`);
  }
  for (const f of diff.files) {
    const p = joinPath(diff.outputDir, f.path);
    out.push('', `--- ${f.status === 'added' ? '/dev/null' : 'a/' + p}`, `+++ ${f.status === 'removed' ? '/dev/null' : 'b/' + p}`);
    out.push(printable(f.hunks).replace(/\n$/, ''));
  }
  return out.join('\n') + '\n';
}

export function counts(diff: DiffResult): string {
  const n = (s: string): number => diff.files.filter((f) => f.status === s).length;
  const add = diff.files.reduce((s, f) => s + f.additions, 0);
  const del = diff.files.reduce((s, f) => s + f.deletions, 0);
  return `${n('changed')} changed, ${n('added')} added, ${n('removed')} removed (+${add} -${del} lines)`;
}

export function joinPath(dir: string, rel: string): string {
  return dir === '' || dir === '.' ? rel : `${dir.replace(/\/+$/, '')}/${rel}`;
}
