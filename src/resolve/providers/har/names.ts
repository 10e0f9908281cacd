import type { RegistryConfig } from '../../../core/model.js';

export const HAR_DEFAULT_URL = 'https://pkg.harness.io';
export const HAR_DEFAULT_API = 'https://app.harness.io/gateway/har/api/v3';

/** The OCI repository prefix of a HAR docker registry: `<account, lowercase>/<registry>`. */
export function harPrefix(config: RegistryConfig): string {
  return `${(config.account ?? '').toLowerCase()}/${config.registry ?? ''}`;
}

/** The package host (OCI API and rendered image references). */
export function harHost(config: RegistryConfig): string | undefined {
  try {
    return new URL(config.url ?? HAR_DEFAULT_URL).host;
  } catch {
    return undefined;
  }
}
