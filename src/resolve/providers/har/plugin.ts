/**
 * `type: har`: Harness Artifact Registry. What gitopsc knows of this provider without loading
 * its client (see ../../provider.ts `ProviderPlugin`).
 */
import type { ProviderPlugin } from '../../provider.js';
import { harHost, harPrefix } from './names.js';

export const plugin: ProviderPlugin = {
  id: 'har',
  schema: {
    "description": "Harness Artifact Registry through its own REST API (versions, files, quarantine, scan verdicts) and, for docker registries, its OCI API.",
    "properties": {
      "url": {
        "description": "Package host (OCI API and rendered image references); default https://pkg.harness.io.",
        "type": "string",
        "format": "uri",
        "pattern": "^https?://",
        "examples": [
          "https://pkg.harness.io"
        ]
      },
      "api": {
        "description": "Base of the HAR v3 REST API; default https://app.harness.io/gateway/har/api/v3.",
        "type": "string",
        "format": "uri",
        "pattern": "^https?://",
        "examples": [
          "https://app.harness.io/gateway/har/api/v3"
        ]
      },
      "account": {
        "description": "Harness account identifier.",
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{1,128}$",
        "examples": [
          "acct123"
        ]
      },
      "registry": {
        "description": "Registry identifier in HAR.",
        "type": "string",
        "pattern": "^[a-z][a-z0-9._-]{0,127}$",
        "examples": [
          "docker-prod"
        ]
      },
      "org": {
        "description": "Organization identifier (optional).",
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{1,128}$",
        "examples": [
          "default"
        ]
      },
      "project": {
        "description": "Project identifier (optional).",
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{1,128}$",
        "examples": [
          "payments"
        ]
      },
      "insecure": {
        "description": "Allow plain http to a non-loopback host.",
        "type": "boolean"
      },
      "auth": {
        "description": "A Harness API token (personal or service account), by reference only; sent as `x-api-key` (and as the OCI password).",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "token": {
            "$ref": "#/definitions/secretRef"
          },
          "username": {
            "$ref": "#/definitions/secretRef"
          }
        },
        "required": [
          "token"
        ]
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
      "account",
      "registry"
    ]
  },
  context: {
    host: harHost,
    prefix: harPrefix,
  },
  traits: { scan: true, filesByName: true },
  load: async () => (await import('./index.js')).har,
};
