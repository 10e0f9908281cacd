/**
 * The start-up fast path of an unchanged `render` or `render --check` (a pre-commit hook's
 * common case). Before commander, cosmiconfig, ajv, handlebars or yaml are loaded, start.ts asks
 * this module: with node builtins, the project memo (src/build/memo.ts) and the output
 * formatter only, it parses the few flags it knows, finds the memo recorded for this cwd, and
 * checks the project's stat data against it (re-hashing only files whose stat data changed).
 * On any doubt (a flag it does not know, no memo, a memo of another cwd or version, a symbolic
 * link, a pending journal, a changed file) it answers undefined and the full CLI runs. What it
 * prints is what the full path prints for a memo hit, byte for byte: the same result and the
 * same formatter.
 */
import { dirname, join, resolve } from 'node:path';
import { exitCodeFor } from '../core/diagnostics.js';
import { SEARCH_PLACES } from '../config/search-places.js';
import { handedOver, handOver, isFileStat, isLinkStat, MEMO_MAX_BYTES, MEMO_MAX_FILES, MEMO_SKIP, memoHitResult, memoKey, memoPath, NAMES, openMemo, sameContent, scanTree, statOf, writeMemo, type MemoFile, type MemoResult } from '../build/memo.js';
import { colorEnabled, palette } from './output/color.js';
import { formatResult, internalError, type Format } from './output/format.js';

export interface FastArgs {
  check: boolean;
  format: Format;
  quiet: boolean;
  color: boolean;
  cwd?: string;
  config?: string;
}

/**
 * The arguments of a plain `render [--check]` with only the global flags the fast path knows,
 * each at most once; undefined for anything else (the full CLI then parses them).
 */
export function fastArgs(argv: readonly string[]): FastArgs | undefined {
  const out: FastArgs = { check: false, format: 'text', quiet: false, color: true };
  const seen = new Set<string>();
  let command = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (seen.has(name)) return undefined;
    seen.add(name);
    if (a === 'render') command = true;
    else if (a === '--check') out.check = true;
    else if (a === '--quiet') out.quiet = true;
    else if (a === '--no-color') out.color = false;
    else if (name === '--format' || name === '--cwd' || name === '--config') {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '' || v.startsWith('-')) return undefined;
      if (name === '--format') {
        if (v !== 'text' && v !== 'json' && v !== 'github') return undefined;
        out.format = v;
      } else if (name === '--cwd') out.cwd = v;
      else out.config = v;
    } else return undefined;
  }
  return command ? out : undefined;
}

function isLink(path: string): boolean {
  try {
    const st = statOf(path);
    return st !== undefined && isLinkStat(st);
  } catch {
    return false;
  }
}

/** The memo recorded for this cwd and --config: the nearest one at or above cwd (or beside the config). */
function findMemo(cwd: string, config: string | undefined): MemoFile | undefined {
  const roots = config ? [dirname(resolve(cwd, config))] : [];
  if (!config) for (let d = cwd; ; d = dirname(d)) {
    roots.push(d);
    if (dirname(d) === d) break;
  }
  for (const root of roots) {
    let exists = false;
    try {
      const st = statOf(memoPath(root));
      exists = st !== undefined && isFileStat(st);
    } catch {
      /* not here */
    }
    if (!exists) continue;
    // the cache directory is never read through a symbolic link (the full path refuses it)
    if (isLink(join(root, '.gitopsc')) || isLink(join(root, '.gitopsc', 'cache'))) return undefined;
    const memo = openMemo(root);
    if (!memo || memo.meta.root !== root || memo.meta.cwd !== cwd || memo.meta.config !== (config ?? '')) return undefined;
    return memo;
  }
  return undefined;
}

export interface FastRun {
  stdout: string;
  stderr: string;
  code: number;
}

export interface FastEnv {
  /** the process's working directory */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /**
   * Whether a scan that found the project changed is left for the full path that this same
   * process runs next (the real bin only: a caller that does not go on to render must not
   * leave a scan behind for a later, unrelated run).
   */
  handOver?: boolean;
}

/**
 * The arguments of a run whose scan was handed over (`renderChanged` continues it), and the
 * project config discovery would find, when the scan shows it cannot have changed.
 */
let continued: { args: FastArgs; cwd: string; project?: { root: string; configFile: string } } | undefined;
/** the project of the scan handed over, when config discovery is known to find it again (see `sameProject`) */
let discovered: { root: string; configFile: string } | undefined;

/** An unchanged project's `render`/`render --check` output, or undefined: run the full CLI. */
export function fastRender(argv: readonly string[], host: FastEnv): FastRun | undefined {
  continued = undefined;
  discovered = undefined;
  const args = fastArgs(argv);
  if (!args) return undefined;
  const cwd = resolve(args.cwd ?? host.cwd);
  const found = findMemo(cwd, args.config);
  if (!found || found.meta.key !== memoKey(found.meta.configFile, '')) return undefined;
  // one pass over the recorded stat data: which paths changed ([] : none)
  const changed = found.changes(host.cwd);
  const recorded = changed?.length === 0 ? found.result() : changedTree(found, changed, host.handOver === true);
  if (!recorded) {
    if (host.handOver === true && handedOver()) continued = { args, cwd, project: args.config === undefined && cwd === found.meta.root ? discovered : undefined };
    return undefined;
  }
  return formatted(args, host, memoHitResult({ result: recorded }, args.check));
}

/** What the full CLI prints for this result: its formatter, its colour rules, its exit code. */
function formatted(args: FastArgs, host: FastEnv, result: Parameters<typeof formatResult>[1]): FastRun {
  // a stream's being a terminal is asked only when the colour depends on it
  const colored = (isTTY: () => boolean) => {
    const on = (tty: boolean) => colorEnabled({ flag: args.color, env: host.env, isTTY: tty });
    return args.format === 'text' && (on(false) === on(true) ? on(false) : on(isTTY()));
  };
  const out = formatResult(args.format, result, { quiet: args.quiet, out: palette(colored(() => host.stdoutIsTTY)), err: palette(colored(() => host.stderrIsTTY)) });
  return { stdout: out.stdout, stderr: out.stderr, code: result.exitCode ?? exitCodeFor(result.diagnostics) };
}

/**
 * The render that `fastRender` handed its scan over for (a file's content changed), run as
 * the full CLI runs `render [--check]` with these flags: config discovery, then the build
 * stage, its result formatted and its exit code, an exception an INTERNAL error; without
 * loading commander and the CLI's command table. Undefined when no scan was handed over in
 * this process, or the render path cannot be loaded (run the full CLI).
 */
export async function renderChanged(host: FastEnv): Promise<FastRun | undefined> {
  const c = continued;
  continued = undefined;
  if (!c) return undefined;
  const { args, cwd, project } = c;
  // the render path's modules, config discovery's only when the project could be another; when
  // they cannot be loaded (the CLI's render-path bundle missing, damaged or of another build),
  // the full CLI renders, with its own
  let render: (() => Promise<Parameters<typeof formatResult>[1]>) | undefined;
  try {
    if (project) {
      const { renderProject } = await import('../build/stage.js');
      // (the object discovery returns for it)
      const found = { ok: true as const, root: project.root, configFile: project.configFile };
      render = () => renderProject({ project: found, cwd, config: args.config, check: args.check ? true : undefined });
    } else {
      const { renderAt } = await import('./commands/render.js');
      render = () => renderAt({ cwd, config: args.config }, { check: args.check ? true : undefined });
    }
  } catch {
    return undefined;
  }
  let result: Parameters<typeof formatResult>[1];
  try {
    // (what src/cli/commands/render.ts run() does with no other option)
    result = await render();
  } catch (e) {
    // as src/cli/main.ts reports an exception (no --debug here: the fast path does not take it)
    result = { diagnostics: [internalError(e, false)] };
  }
  return formatted(args, host, result);
}

/**
 * The result recorded for a tree that is not as the memo's stat data says: the scan of it, which
 * re-hashes what changed: made from the paths the stat pass found changed when that can tell
 * (files edited in place or replaced, no name added or removed), else a full scan. When no
 * content changed (files touched, a directory listed again, a racily clean file), the memo is
 * recorded again, so that the next run reads nothing, and its result stands; else undefined
 * (the full path renders, starting from this scan).
 */
function changedTree(found: MemoFile, changed: readonly number[] | undefined, hand: boolean): MemoResult | undefined {
  const opts = { skip: MEMO_SKIP, maxFiles: MEMO_MAX_FILES, maxBytes: MEMO_MAX_BYTES };
  const quick = changed && found.rescan(changed, opts);
  // a recorded directory with files below it is gone (an output directory deleted): the scan
  // needs nothing of the memo below it, and only the render can tell the rest
  const without = changed === undefined ? found.goneDir() : undefined;
  const memo = quick ? quick.memo : found.full(without);
  if (!memo) return undefined;
  const scan = quick ? quick.scan : scanTree(memo.root, memo, memo.written, opts);
  if (!scan.entries || scan.links || scan.pending) return undefined;
  if (without !== undefined) {
    if (hand) {
      handOver(memo.root, memo, scan);
      // (the root's files each as the memo recorded them: the very entry the scan took over)
      const root = scan.dirs.get('')?.[NAMES];
      const reread = root?.some((n) => !n.endsWith('/') && scan.entries!.get(n) !== memo.entries.get(n)) ?? true;
      if (sameProjectWithout(memo, without, memo.dirs.get('')?.[NAMES], root, reread)) discovered = { root: memo.root, configFile: memo.configFile };
    }
    return undefined;
  }
  // (a result that does not parse: undefined, the full path renders)
  if (scan.rehashed + scan.relisted === 0 && scan.entries.size === memo.entries.size) return memo.result;
  if (!(quick ? quick.sameContent : sameContent(scan.entries, memo.entries))) {
    if (hand) {
      handOver(memo.root, memo, scan);
      if (quick && sameProject(memo, quick.read)) discovered = { root: memo.root, configFile: memo.configFile };
    }
    return undefined;
  }
  const result = memo.result;
  if (!result) return undefined;
  writeMemo(memo.root, { ...memo, result, entries: scan.entries, dirs: scan.dirs });
  return result;
}

/**
 * `sameProject` for a scan after a recorded directory with files below it went away (an output
 * directory deleted): discovery from the root finds the memo's project again when its config is
 * a YAML or JSON file at the root, the directory gone was the root's own entry and no name
 * discovery looks for, the root lists exactly the names recorded but that one (`was`, `now`:
 * the recorded and scanned names, directories with a trailing `/`), and no file at the root was
 * read again (`reread`). Else discovery runs.
 */
export function sameProjectWithout(memo: { configFile: string }, gone: string, was: readonly string[] | undefined, now: readonly string[] | undefined, reread: boolean): boolean {
  if (reread || !was || !now || gone.includes('/') || SEARCH_PLACES.includes(gone) || !sameProject(memo, [])) return false;
  const i = was.indexOf(`${gone}/`);
  return i >= 0 && now.length === was.length - 1 && now.every((n, j) => n === was[j < i ? j : j + 1]);
}

/**
 * Whether config discovery from the project root (the memo's cwd, without --config) finds the
 * memo's project again: its config is a YAML or JSON file at the root (no package.json key, no
 * JS), and the scan made from the stat pass alone (no name added, removed or renamed in any
 * directory, no link) read again no file at the root, so that every file discovery looks at there
 * (each search place in turn, and whether it can be read) is as when the memo was recorded by a run
 * that found this config. Else discovery runs.
 */
export function sameProject(memo: { configFile: string }, read: readonly string[]): boolean {
  const c = memo.configFile;
  return !c.includes('/') && c !== 'package.json' && /^(?:\.gitopscrc(?:\.json|\.ya?ml)?|gitopsc\.config\.(?:ya?ml|json))$/.test(c) && read.every((p) => p.includes('/'));
}
