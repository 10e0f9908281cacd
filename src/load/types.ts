import type { Diagnostic, Position } from '../diagnostics.js';

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
}

export interface LoadResult {
  doc?: LoadedDoc;
  diagnostics: Diagnostic[];
}
