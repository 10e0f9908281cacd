/**
 * Config discovery (host side): cosmiconfig searches from --cwd upward to the git root for
 * every file form of the contract; `--config FILE` names one. YAML and JSON configs are then
 * loaded by our own loader so that diagnostics carry positions; JS/TS configs are evaluated by
 * cosmiconfig (their diagnostics point at line 1).
 */
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { redactUrlsInText } from '../core/redact.js';
import { assertReadable, pathExists, reasonOf, statOrAbsent } from '../host/fs.js';
import { SEARCH_PLACES } from './search-places.js';

export { SEARCH_PLACES };

export interface DiscoveredProject {
  ok: true;
  /** absolute project root: the config file's directory */
  root: string;
  /** config file, relative to root */
  configFile: string;
  /** the evaluated config for JS/TS configs (no positions); absent for YAML/JSON/package.json */
  configData?: unknown;
  /** for package.json configs: the key holding the config */
  configKey?: string;
}

export type DiscoverResult = DiscoveredProject | { ok: false; diagnostics: Diagnostic[] };

export function findGitRoot(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (pathExists(resolve(dir, '.git'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const NOT_FOUND_HINT = 'create one with `gitopsc init` (or pass --config FILE)';

function isDataFile(file: string): boolean {
  return /(\.ya?ml|\.json|^\.gitopscrc)$/.test(basename(file));
}

export async function discoverProject(opts: { cwd: string; config?: string }): Promise<DiscoverResult> {
  const cwd = resolve(opts.cwd);
  if (!pathExists(cwd) || !statOrAbsent(cwd)?.isDirectory()) {
    return { ok: false, diagnostics: [error('USAGE', `--cwd ${opts.cwd} is not a directory`, { reason: 'bad-option' })] };
  }
  const explorer = cosmiconfig('gitopsc', {
    searchPlaces: SEARCH_PLACES,
    stopDir: findGitRoot(cwd) ?? cwd,
    searchStrategy: 'global',
    ignoreEmptySearchPlaces: false,
    cache: false,
    // Data files are only located here; our loader parses them with positions later.
    loaders: {
      '.yaml': () => ({ located: true }),
      '.yml': () => ({ located: true }),
      noExt: () => ({ located: true }),
      '.json': (filepath: string, content: string) => {
        if (basename(filepath) !== 'package.json') return { located: true };
        try {
          return JSON.parse(content) as unknown;
        } catch {
          return null;
        }
      },
    },
  });
  try {
    if (opts.config) {
      const file = resolve(cwd, opts.config);
      if (!pathExists(file)) {
        return { ok: false, diagnostics: [error('CONFIG_NOT_FOUND', `config file ${opts.config} does not exist: ${NOT_FOUND_HINT}`, { reason: 'missing-config-file' })] };
      }
      return await located(file, isDataFile(file) ? undefined : (await explorer.load(file))?.config);
    }
    // cosmiconfig skips a config file it cannot read and searches on: report it instead
    const unreadable = unreadableConfig(cwd, findGitRoot(cwd) ?? cwd);
    if (unreadable) {
      const file = relative(cwd, unreadable.file).split(sep).join('/');
      return { ok: false, diagnostics: [error('FILESYSTEM', `cannot read ${file}: ${reasonOf(unreadable.error)}`, { file, reason: 'unreadable' })] };
    }
    const found = await explorer.search(cwd);
    // an empty config file is a project with every default, not a missing config
    if (!found) {
      return {
        ok: false,
        diagnostics: [error('CONFIG_NOT_FOUND', `no gitopsc config found in ${cwd} or above it (gitopsc.config.yaml, .gitopscrc, package.json "gitopsc", ...): ${NOT_FOUND_HINT}`, { reason: 'no-config' })],
      };
    }
    if (basename(found.filepath) === 'package.json') return { ok: true, root: dirname(found.filepath), configFile: 'package.json', configKey: 'gitopsc' };
    return await located(found.filepath, isDataFile(found.filepath) ? undefined : found.config);
  } catch (e) {
    // A config file that exists but cannot be read is a file system failure, never a missing config.
    const errno = e as NodeJS.ErrnoException;
    if (typeof errno.code === 'string' && typeof errno.syscall === 'string') {
      const file = errno.path ? relative(cwd, errno.path).split(sep).join('/') || errno.path : (opts.config ?? 'config');
      return { ok: false, diagnostics: [error('FILESYSTEM', `cannot read ${file}: ${reasonOf(e)}`, { file, reason: 'unreadable' })] };
    }
    // A JS/TS config that throws while being evaluated is the user's error, not ours.
    const first = opts.config ? undefined : firstConfigFile(cwd, findGitRoot(cwd) ?? cwd);
    const file = opts.config ?? (first ? relative(cwd, first).split(sep).join('/') : 'config');
    return { ok: false, diagnostics: [error('SCHEMA', `cannot evaluate ${file}: ${redactUrlsInText((e as Error).message.split('\n')[0] ?? '')}`, { file, line: 1, column: 1, reason: 'config-throws' })] };
  }
}

/** The first config file of the search (package.json aside), from `cwd` up to `stopDir`. */
function firstConfigFile(cwd: string, stopDir: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const place of SEARCH_PLACES) {
      const file = resolve(dir, place);
      if (place !== 'package.json' && pathExists(file)) return file;
    }
    if (dir === stopDir || dirname(dir) === dir) return undefined;
  }
}

/** The first config file of the search, from `cwd` up to `stopDir`, that exists but cannot be read. */
function unreadableConfig(cwd: string, stopDir: string): { file: string; error: unknown } | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const place of SEARCH_PLACES) {
      const file = resolve(dir, place);
      try {
        assertReadable(file);
        // a readable config file ends the search (package.json only when it has our key)
        if (place !== 'package.json' && statOrAbsent(file)?.isFile()) return undefined;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') return { file, error: e };
      }
    }
    if (dir === stopDir || dirname(dir) === dir) return undefined;
  }
}

async function located(file: string, configData: unknown): Promise<DiscoveredProject> {
  const root = dirname(file);
  const rel = relative(root, file).split(sep).join('/');
  const out: DiscoveredProject = { ok: true, root, configFile: rel };
  if (basename(file) === 'package.json') out.configKey = 'gitopsc';
  else if (configData !== undefined) out.configData = configData;
  return out;
}

