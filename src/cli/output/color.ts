/**
 * Colour for a human at a terminal, with picocolors (no hand-written escapes). Off for
 * `--no-color`, a non-empty `NO_COLOR` (no-color.org), a stream that is not a terminal and
 * `TERM=dumb`; on for a non-empty `FORCE_COLOR` other than `0`, even when piped. Machine
 * formats (`--format json|github`) are never coloured.
 */
import type { Colors } from 'picocolors/types.js';
import { lazy } from '../../core/lazy.js';

// picocolors is loaded only when a stream is coloured: not on the start-up fast path of an
// unchanged `render --check`, whose output is rarely a terminal's
const picocolors = lazy<typeof import('picocolors')>('picocolors');

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

/** What picocolors' createColors(false) gives: every formatter is String. */
const PLAIN: Palette = {
  isColorSupported: false,
  reset: String,
  bold: String,
  dim: String,
  italic: String,
  underline: String,
  inverse: String,
  hidden: String,
  strikethrough: String,
  black: String,
  red: String,
  green: String,
  yellow: String,
  blue: String,
  magenta: String,
  cyan: String,
  white: String,
  gray: String,
  bgBlack: String,
  bgRed: String,
  bgGreen: String,
  bgYellow: String,
  bgBlue: String,
  bgMagenta: String,
  bgCyan: String,
  bgWhite: String,
  blackBright: String,
  redBright: String,
  greenBright: String,
  yellowBright: String,
  blueBright: String,
  magentaBright: String,
  cyanBright: String,
  whiteBright: String,
  bgBlackBright: String,
  bgRedBright: String,
  bgGreenBright: String,
  bgYellowBright: String,
  bgBlueBright: String,
  bgMagentaBright: String,
  bgCyanBright: String,
  bgWhiteBright: String,
};

export function palette(enabled: boolean): Palette {
  return enabled ? picocolors().createColors(true) : PLAIN;
}
