/**
 * Colour for a human at a terminal, with picocolors (no hand-written escapes). Off for
 * `--no-color`, a non-empty `NO_COLOR` (no-color.org), a stream that is not a terminal and
 * `TERM=dumb`; on for a non-empty `FORCE_COLOR` other than `0`, even when piped. Machine
 * formats (`--format json|github`) are never coloured.
 */
import picocolors from 'picocolors';
import type { Colors } from 'picocolors/types.js';

export type Palette = Colors;

export interface ColorInputs {
  /** false for `--no-color` */
  flag: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** is this stream a terminal */
  isTTY: boolean;
}

export function colorEnabled({ flag, env, isTTY }: ColorInputs): boolean {
  if (!flag) return false;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function palette(enabled: boolean): Palette {
  return picocolors.createColors(enabled);
}
