/**
 * The write plan: which files to add, change and prune, computed purely from what should be
 * there and what is there, compared by content hash. Applying it is src/write/apply.ts.
 */

/**
 * A file's content: its text, or (inside a render) its UTF-8 bytes as kept by the store of
 * rendered bytes (src/build/pack.ts), written as they are without decoding and encoding them.
 */
export type Content = string | Uint8Array;

export interface DesiredFile<C extends Content = string> {
  path: string;
  hash: string;
  /** required whenever the file must be written (the caller renders what differs) */
  content?: C;
  /** the caller found the file under the output root with this very hash: not looked up again */
  present?: boolean;
}

export interface PlannedWrite<C extends Content = string> {
  path: string;
  content: C;
  kind: 'add' | 'change';
}

export interface WritePlan<C extends Content = string> {
  writes: PlannedWrite<C>[];
  /** managed files that no longer have a source */
  removes: string[];
  unchanged: number;
}

/** `isManaged` false: no file is pruned (the existing files are not looked at for removal). */
export function planWrites<C extends Content = string>(desired: readonly DesiredFile<C>[], existing: ReadonlyMap<string, string>, isManaged: ((path: string) => boolean) | false = () => true): WritePlan<C> {
  const writes: PlannedWrite<C>[] = [];
  const wanted = new Set<string>();
  let unchanged = 0;
  for (const f of desired) {
    if (isManaged !== false) wanted.add(f.path);
    if (f.present === true) {
      unchanged++;
      continue;
    }
    const cur = existing.get(f.path);
    if (cur === f.hash) unchanged++;
    else {
      if (f.content === undefined) throw new Error(`planWrites: ${f.path} differs but has no content`);
      writes.push({ path: f.path, content: f.content, kind: cur === undefined ? 'add' : 'change' });
    }
  }
  const removes = isManaged === false ? [] : [...existing.keys()].filter((p) => !wanted.has(p) && isManaged(p)).sort();
  writes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { writes, removes, unchanged };
}

