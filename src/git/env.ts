/**
 * The environment every git command of ours runs with: an allow-list, never the inherited
 * environment. Inside a git hook the parent git exports GIT_DIR, GIT_INDEX_FILE (during
 * `git commit -a`: the *source* repository's index.lock), GIT_WORK_TREE, GIT_EDITOR=:,
 * GIT_AUTHOR_DATE, ...; letting them through makes our `git add` in the deployment repository
 * write into the source repository's index and breaks the user's own commit. This follows
 * pre-commit's `no_git_env()` and Renovate's `basicEnvVars`.
 */

/** Non-git variables a git child may need (paths, locale, proxies, ssh-agent, gpg home). */
const PASS = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TEMP',
  'TMP',
  'TZ',
  'LANG',
  'XDG_CONFIG_HOME',
  'SSH_AUTH_SOCK',
  'GNUPGHOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'APPDATA',
  'USERPROFILE',
]);

/** GIT_* variables that configure transport or config location, never repository location. */
const PASS_GIT = new Set([
  'GIT_EXEC_PATH',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_SSL_CAINFO',
  'GIT_SSL_NO_VERIFY',
  'GIT_ASKPASS',
  'GIT_HTTP_PROXY_AUTHMETHOD',
  'GIT_ALLOW_PROTOCOL',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_COUNT',
]);

export function cleanGitEnv(
  inherited: Readonly<Record<string, string | undefined>>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inherited)) {
    if (v === undefined) continue;
    if (PASS.has(k) || PASS_GIT.has(k) || k.startsWith('LC_') || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) {
      env[k] = v;
    }
  }
  // Never prompt: no credential prompt, no pinentry on a terminal (no GPG_TTY), no editor, no pager.
  env.GIT_TERMINAL_PROMPT = '0';
  env.GCM_INTERACTIVE = 'never';
  env.GIT_PAGER = 'cat';
  env.GIT_EDITOR = 'true';
  // Stable, parseable messages.
  env.LC_ALL = 'C';
  // Marks our own children, so a hook in the deployment repository can tell (and we skip hooks).
  env.GITOPSC_GIT = '1';
  return { ...env, ...extra };
}
