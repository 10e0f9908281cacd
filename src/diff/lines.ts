/**
 * A line diff (Myers' O(ND) greedy algorithm, forward trace with backtracking) and unified
 * hunks built from it. Pure; no dependency. Good for rendered resources (a few hundred lines);
 * beyond MAX_EDIT edits it gives up on minimality and reports a full replacement.
 */

export type Edit = { op: ' ' | '-' | '+'; line: string };

const MAX_EDIT = 4000;

/** Split text into lines without their terminators; a trailing newline adds no empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The shortest edit script turning `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  // Trim the common prefix and suffix: most resource diffs are a line or two.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Edit[] = a.slice(0, start).map((line) => ({ op: ' ', line }));
  const tail: Edit[] = a.slice(endA).map((line) => ({ op: ' ', line }));
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  return [...head, ...middle, ...tail];
}

function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && d <= MAX_EDIT; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) {
        x = v[offset + k + 1] ?? 0;
      } else {
        x = (v[offset + k - 1] ?? 0) + 1;
      }
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
    if (found >= 0) break;
  }
  if (found < 0) {
    return [...a.map((line): Edit => ({ op: '-', line })), ...b.map((line): Edit => ({ op: '+', line }))];
  }
  // Backtrack through the saved V arrays (trace[d] is V before step d).
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] as Int32Array;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (prev[offset + k - 1] ?? 0) < (prev[offset + k + 1] ?? 0))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = prev[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ op: ' ', line: a[x - 1] as string });
      x--;
      y--;
    }
    if (x === prevX) edits.push({ op: '+', line: b[y - 1] as string });
    else edits.push({ op: '-', line: a[x - 1] as string });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    edits.push({ op: ' ', line: a[x - 1] as string });
    x--;
    y--;
  }
  return edits.reverse();
}

export interface UnifiedDiff {
  /** `@@` hunks with context, without the `---`/`+++` header; empty when equal */
  body: string;
  additions: number;
  deletions: number;
}

/** Unified diff hunks (`@@ -l,s +l,s @@`) of two texts with `context` lines around changes. */
export function unifiedDiff(oldText: string, newText: string, context = 3): UnifiedDiff {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const edits = diffLines(a, b);
  let additions = 0;
  let deletions = 0;
  for (const e of edits) {
    if (e.op === '+') additions++;
    else if (e.op === '-') deletions++;
  }
  if (additions === 0 && deletions === 0) return { body: '', additions, deletions };

  // Positions (0-based) of each edit in a and b.
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 0;
  let ib = 0;
  for (const e of edits) {
    posA.push(ia);
    posB.push(ib);
    if (e.op !== '+') ia++;
    if (e.op !== '-') ib++;
  }
  const changed = edits.map((e, i) => (e.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  const lines: string[] = [];
  let i = 0;
  while (i < changed.length) {
    const first = changed[i] as number;
    let last = first;
    while (i + 1 < changed.length && (changed[i + 1] as number) - last <= 2 * context + 1) {
      i++;
      last = changed[i] as number;
    }
    i++;
    const from = Math.max(0, first - context);
    const to = Math.min(edits.length - 1, last + context);
    let countA = 0;
    let countB = 0;
    const hunk: string[] = [];
    for (let j = from; j <= to; j++) {
      const e = edits[j] as Edit;
      if (e.op !== '+') countA++;
      if (e.op !== '-') countB++;
      hunk.push(e.op + e.line);
    }
    const startA = countA === 0 ? (posA[from] as number) : (posA[from] as number) + 1;
    const startB = countB === 0 ? (posB[from] as number) : (posB[from] as number) + 1;
    lines.push(`@@ -${startA},${countA} +${startB},${countB} @@`, ...hunk);
  }
  if (oldText !== '' && !oldText.endsWith('\n')) lines.push('\\ No newline at end of file (old)');
  if (newText !== '' && !newText.endsWith('\n')) lines.push('\\ No newline at end of file (new)');
  return { body: lines.join('\n') + '\n', additions, deletions };
}
