/**
 * Markdown rendering of a DiffResult for a pull-request comment: a marker (so CI can find and
 * replace its previous comment), a summary table of artifact versions and files, then one
 * collapsible `<details>` per service with a ```diff block per resource. The whole comment stays
 * under `maxChars` (GitHub refuses bodies over 65,536): resources are left out whole, and the
 * comment says how many and how many lines.
 */
import { describeVersion, printable, type DiffResult, type FileChange } from './compare.js';
import { counts, joinPath } from './format-text.js';

export const MARKER = '<!-- gitopsc-diff -->';
export const DEFAULT_MAX_CHARS = 60_000;
const MAX_TABLE_ROWS = 100;

export interface MarkdownOptions {
  maxChars?: number;
}

export function formatMarkdown(diff: DiffResult, opts: MarkdownOptions = {}): string {
  const maxChars = Math.min(opts.maxChars ?? DEFAULT_MAX_CHARS, 65_000);
  const title = `### gitopsc diff: ${code(diff.baseLabel)} → ${code(diff.headLabel)}`;
  if (!diff.changed) {
    return `${MARKER}\n${title}\n\n**No changes** in the rendered output.\n`;
  }
  const head: string[] = [MARKER, title, ''];
  if (diff.artifacts.length > 0) {
    head.push('**Artifact versions**', '', '| Service | Environment | Old | New |', '|---|---|---|---|');
    for (const a of diff.artifacts.slice(0, MAX_TABLE_ROWS)) {
      head.push(`| ${cell(a.service)} | ${cell(a.environment)} | ${code(describeVersion(a.old))} | ${code(describeVersion(a.new))} |`);
    }
    if (diff.artifacts.length > MAX_TABLE_ROWS) head.push(`| … | ${diff.artifacts.length - MAX_TABLE_ROWS} more | | |`);
    head.push('');
  }
  head.push(`**Files**: ${counts(diff)}`, '', '| File | Status | Lines |', '|---|---|---|');
  for (const f of diff.files.slice(0, MAX_TABLE_ROWS)) {
    head.push(`| ${code(joinPath(diff.outputDir, f.path))} | ${f.status} | +${f.additions} −${f.deletions} |`);
  }
  if (diff.files.length > MAX_TABLE_ROWS) head.push(`| … ${diff.files.length - MAX_TABLE_ROWS} more | | |`);
  head.push('');
  let out = head.join('\n') + '\n';

  const reserve = 600; // room for the truncation notice and a closing </details>
  const byService = new Map<string, FileChange[]>();
  for (const f of diff.files) byService.set(f.service, [...(byService.get(f.service) ?? []), f]);
  let shown = 0;
  let truncated = false;
  for (const [service, files] of byService) {
    const envs = [...new Set(files.map((f) => f.environment))].join(', ');
    const open = `<details><summary><b>${service === '' ? 'environments' : cell(service)}</b>: ${files.length} file${files.length === 1 ? '' : 's'} (${cell(envs)})</summary>\n\n`;
    const close = '</details>\n\n';
    if (out.length + open.length + close.length + reserve > maxChars) {
      truncated = true;
      break;
    }
    let section = open;
    for (const f of files) {
      const block = resourceBlock(diff.outputDir, f);
      if (out.length + section.length + block.length + close.length + reserve > maxChars) {
        truncated = true;
        break;
      }
      section += block;
      shown++;
    }
    if (section === open) break; // not even one resource of this service fits
    out += section + close;
    if (truncated) break;
  }
  if (truncated || shown < diff.files.length) {
    const left = diff.files.slice(shown);
    const lines = left.reduce((s, f) => s + f.additions + f.deletions, 0);
    out +=
      `> [!WARNING]\n> Diff truncated to stay under the comment size limit: ${left.length} of ${diff.files.length} ` +
      `resource diffs (${lines} changed lines) left out. Run \`gitopsc diff\` locally to see everything.\n`;
  }
  return out;
}

function resourceBlock(outputDir: string, f: FileChange): string {
  const body = printable(f.hunks);
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `#### ${code(joinPath(outputDir, f.path))} (${f.status}, +${f.additions} −${f.deletions})\n\n${fence}diff\n${body}${body.endsWith('\n') ? '' : '\n'}${fence}\n\n`;
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** Inline code for a table cell: no backticks, pipes or newlines inside. */
function code(s: string): string {
  return '`' + printable(s).replace(/[`\n\r]/g, "'").replace(/\|/g, '\\|') + '`';
}

function cell(s: string): string {
  return printable(s).replace(/[\n\r]/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;');
}
