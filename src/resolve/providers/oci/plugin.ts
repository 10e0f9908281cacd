/**
 * `type: oci`: OCI Distribution / Docker Registry HTTP API v2. What gitopsc knows of this
 * provider without loading its client (see ../../provider.ts `ProviderPlugin`).
 */
import type { ProviderPlugin } from '../../provider.js';

export const plugin: ProviderPlugin = {
  id: 'oci',
  schema: {
    "description": "OCI Distribution / Docker Registry HTTP API v2.",
    "properties": {
      "url": {
        "description": "Base URL: https, or http only for loopback hosts or with `insecure: true`.",
        "type": "string",
        "format": "uri",
        "pattern": "^https?://",
        "examples": [
          "https://pkg.harness.io"
        ]
      },
      "prefix": {
        "description": "Prepended to every package path.",
        "type": "string",
        "pattern": "^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$",
        "examples": [
          "acct123/docker-prod"
        ]
      },
      "insecure": {
        "description": "Allow plain http to a non-loopback host.",
        "type": "boolean"
      },
      "auth": {
        "description": "Credentials, by reference only. Without it: docker config.json credentials for the host, else anonymous.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "username": {
            "$ref": "#/definitions/secretRef"
          },
          "password": {
            "$ref": "#/definitions/secretRef"
          },
          "token": {
            "$ref": "#/definitions/secretRef"
          }
        },
        "dependencies": {
          "username": [
            "password"
          ],
          "password": [
            "username"
          ]
        }
      },
      "concurrency": {
        "description": "Requests in flight at once.",
        "type": "integer",
        "minimum": 1,
        "maximum": 64,
        "examples": [
          8
        ]
      }
    },
    "required": [
      "url"
    ]
  },
  context: {
    host(config) {
      try {
        return config.url ? new URL(config.url).host : undefined;
      } catch {
        return undefined;
      }
    },
    prefix: (config) => config.prefix,
  },
  traits: { push: true },
  load: async () => (await import('./index.js')).oci,
};
