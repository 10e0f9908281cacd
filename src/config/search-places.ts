/**
 * Every name config discovery looks for in a directory, in cosmiconfig's order
 * (src/config/discover.ts). A module of its own, with no imports, so that the start-up fast path
 * (src/cli/fast.ts) can ask whether a name is one without loading discovery.
 */
export const SEARCH_PLACES = [
  'package.json',
  '.gitopscrc',
  '.gitopscrc.json',
  '.gitopscrc.yaml',
  '.gitopscrc.yml',
  'gitopsc.config.yaml',
  'gitopsc.config.yml',
  'gitopsc.config.json',
  'gitopsc.config.js',
  'gitopsc.config.mjs',
  'gitopsc.config.cjs',
  'gitopsc.config.ts',
];
