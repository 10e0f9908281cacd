/**
 * The output tree: what a render is compared with and written to. A directory (the working
 * tree's output dir, src/build/dir-tree.ts) for `render` and `render --check`, a git tree
 * (src/build/tree.ts) for `diff` and `publish`.
 */
import type { Diagnostic } from '../core/diagnostics.js';

export interface OutputTree {
  /** shown in messages only */
  describe: string;
  /** relative path -> contentHash (src/core/hash.ts) of every file below the output root, or a problem */
  hashes(): Promise<{ files: ReadonlyMap<string, string> } | { problem: Diagnostic }>;
  /** a file's text below the output root, or undefined when absent */
  read(path: string): Promise<string | undefined>;
}
