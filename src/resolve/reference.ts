import type { RegistryConfig } from '../core/model.js';

/** The OCI repository prefix of a HAR docker registry: `<account, lowercase>/<registry>`. */
export function harPrefix(config: RegistryConfig): string {
  return `${(config.account ?? '').toLowerCase()}/${config.registry ?? ''}`;
}

export const HAR_DEFAULT_URL = 'https://pkg.harness.io';
export const HAR_DEFAULT_API = 'https://app.harness.io/gateway/har/api/v3';

/** `host[:port][/prefix]/package` as rendered in image references (no scheme). Pure. */
export function referenceFor(config: RegistryConfig | undefined, pkg: string): string {
  const prefix = config?.type === 'har' ? harPrefix(config) : config?.prefix;
  const path = prefix ? `${prefix.replace(/^\/+|\/+$/g, '')}/${pkg}` : pkg;
  let host: string | undefined;
  if ((config?.type === 'oci' || config?.type === 'har') && (config.url || config.type === 'har')) {
    try {
      host = new URL(config.url ?? HAR_DEFAULT_URL).host;
    } catch {
      host = undefined;
    }
  } else if (config?.type === 'static') host = config.host;
  return host ? `${host}/${path}` : path;
}
