/**
 * The environment of a `gitopsc` (or any Node process) a test spawns that makes no TLS
 * connection (static catalogs, registries on plain-HTTP loopback): this process's own, without
 * NODE_EXTRA_CA_CERTS. A machine that sets it (this one: the system bundle, 220 KB) makes every
 * Node start read and parse those certificates, about 50 ms of CPU each, for nothing here. The
 * CLI's behaviour does not depend on it; nothing in process.env is changed.
 */
export function spawnEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string | undefined> {
  const { NODE_EXTRA_CA_CERTS: _certs, ...env } = process.env;
  return { ...env, ...extra };
}
