import type { RegistryConfig } from '../model.js';

/** `host[:port][/prefix]/package` as rendered in image references (no scheme). Pure. */
export function referenceFor(config: RegistryConfig | undefined, pkg: string): string {
  const path = config?.prefix ? `${config.prefix.replace(/^\/+|\/+$/g, '')}/${pkg}` : pkg;
  let host: string | undefined;
  if (config?.type === 'oci' && config.url) {
    try {
      host = new URL(config.url).host;
    } catch {
      host = undefined;
    }
  } else if (config?.type === 'static') host = config.host;
  return host ? `${host}/${path}` : path;
}
