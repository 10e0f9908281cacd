/**
 * `type: static`: versions listed in a local catalog file (offline, air-gapped, tests). What
 * gitopsc knows of this provider without loading it (see ../../provider.ts `ProviderPlugin`).
 */
import type { ProviderPlugin } from '../../provider.js';

export const plugin: ProviderPlugin = {
  id: 'static',
  schema: {
    "description": "Versions listed in a local catalog file (offline, air-gapped, tests).",
    "properties": {
      "path": {
        "description": "Catalog file, relative to the config file.",
        "type": "string",
        "minLength": 1,
        "examples": [
          "registry/catalog.yaml"
        ]
      },
      "host": {
        "description": "Image host (`host[:port]`) used in rendered references.",
        "type": "string",
        "pattern": "^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$",
        "examples": [
          "registry.example.com"
        ]
      }
    },
    "required": [
      "path"
    ]
  },
  context: {
    host: (config) => config.host,
    prefix: (config) => config.prefix,
  },
  load: async () => (await import('./index.js')).staticProvider,
};
