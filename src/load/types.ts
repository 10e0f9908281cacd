import type { Diagnostic, Position } from '../core/diagnostics.js';

export type JsonPath = readonly (string | number)[];

/** A parsed user file with the source positions of its nodes. */
export interface LoadedDoc {
  /** project-relative path with `/` separators */
  file: string;
  data: unknown;
  /**
   * Where a node is: `key` points at the mapping key (default for object members),
   * `value` at the value. For a path that does not exist, the nearest existing ancestor.
   */
  position(path: JsonPath, target?: 'key' | 'value'): Position;
  /**
   * The text the user typed for the scalar at `path` (`1.10` where the data holds 1.1), when the
   * document came from YAML; used for "quote it" hints.
   */
  scalarSource?(path: JsonPath): string | undefined;
}

export interface LoadResult {
  doc?: LoadedDoc;
  diagnostics: Diagnostic[];
}
