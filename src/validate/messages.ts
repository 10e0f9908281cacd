/**
 * The wording gitopsc uses for some schema errors, keyed by JSON pointer into each schema.
 * Kept out of schemas/*.schema.json so that the shipped schemas use only standard keywords and
 * compile under ajv's strict mode (and any other validator); src/validate/schema.ts puts them back
 * as `errorMessage` / `patternErrorMessage` annotations for our own ajv instance, whose error
 * mapper (ajv-errors.ts) reads them. A pointer that no longer exists is an error at build time.
 */
import type { SchemaKind } from './kinds.js';

export interface SchemaMessage {
  /** replaces the whole error of this subschema (oneOf/anyOf/not) */
  errorMessage?: string;
  /** replaces `must match pattern ...` */
  patternErrorMessage?: string;
}

export const SCHEMA_MESSAGES: Readonly<Record<SchemaKind, Readonly<Record<string, SchemaMessage>>>> = {
  "service": {
    "/properties/spec": {
      "errorMessage": "needs exactly one of `kubernetes` or `lambda`"
    },
    "/definitions/dnsLabel": {
      "patternErrorMessage": "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
    },
    "/definitions/dnsSubdomain": {
      "patternErrorMessage": "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit"
    },
    "/definitions/labels/propertyNames": {
      "patternErrorMessage": "must be a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    },
    "/definitions/labels/additionalProperties": {
      "patternErrorMessage": "must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    },
    "/definitions/select/properties/digest": {
      "patternErrorMessage": "must be `sha256:` followed by 64 lowercase hex digits"
    },
    "/definitions/select/properties/platform": {
      "patternErrorMessage": "must be `os/arch` or `os/arch/variant`, e.g. `linux/arm64`"
    },
    "/definitions/artifactFields/properties/package": {
      "patternErrorMessage": "must be an OCI repository path: lowercase parts separated by '/', each made of letters and digits joined by '.', '_', '__' or '-'"
    },
    "/definitions/portRef": {
      "patternErrorMessage": "must be a port number or the name of a container port"
    },
    "/definitions/probe": {
      "errorMessage": "needs exactly one of `httpGet`, `tcpSocket`, `exec` or `grpc`"
    },
    "/definitions/kubernetes/properties/ingress/properties/host": {
      "patternErrorMessage": "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit"
    },
    "/definitions/kubernetes/properties/ingress/properties/path": {
      "patternErrorMessage": "must start with '/'"
    },
    "/definitions/lambdaFields/properties/functionName": {
      "patternErrorMessage": "must be 1-64 letters, digits, '-' or '_'"
    },
    "/definitions/lambdaFields/properties/handler": {
      "patternErrorMessage": "must not contain whitespace"
    },
    "/definitions/lambdaFields/properties/role": {
      "patternErrorMessage": "must be an IAM role ARN: `arn:aws:iam::123456789012:role/NAME`"
    },
    "/definitions/lambdaFields/properties/environment/propertyNames": {
      "patternErrorMessage": "must be a Lambda environment variable name: a letter, then at least one letter, digit or '_'"
    },
    "/definitions/lambdaFields/properties/code/properties/s3Bucket": {
      "patternErrorMessage": "must be an S3 bucket name: 3-63 letters, digits, '.', '-' or '_', not ending with '.'"
    },
    "/definitions/lambdaFields/properties/alias/properties/name": {
      "patternErrorMessage": "must be 1-128 letters, digits, '-' or '_', and not only digits"
    },
    "/definitions/lambdaFields/properties/layers/items": {
      "patternErrorMessage": "must be a layer version ARN: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION`"
    },
    "/definitions/kubernetes/properties/workingDir": {
      "patternErrorMessage": "must be an absolute path (start with '/')"
    },
    "/definitions/kubernetes/properties/service/properties/name": {
      "patternErrorMessage": "must be an IANA service name: at most 15 lowercase letters, digits and '-', at least one letter, no '--'"
    },
    "/definitions/kubernetes/properties/disruptionBudget": {
      "errorMessage": "needs exactly one of `minAvailable` or `maxUnavailable`"
    },
    "/definitions/intOrPercent": {
      "patternErrorMessage": "must be a whole number or a percentage such as `25%`"
    },
    "/definitions/quantity": {
      "patternErrorMessage": "must be a Kubernetes quantity such as `100m`, `0.5`, `128Mi` or `1Gi`"
    },
    "/definitions/resourceList/propertyNames": {
      "patternErrorMessage": "must be a resource name such as `cpu`, `memory` or `nvidia.com/gpu`"
    },
    "/definitions/envVarSource": {
      "errorMessage": "needs exactly one of `secretKeyRef`, `configMapKeyRef`, `fieldRef` or `resourceFieldRef`"
    },
    "/definitions/envVarSource/properties/secretKeyRef/properties/key": {
      "patternErrorMessage": "must be a key: letters, digits, `-`, `_` and `.`"
    },
    "/definitions/envVarSource/properties/configMapKeyRef/properties/key": {
      "patternErrorMessage": "must be a key: letters, digits, `-`, `_` and `.`"
    },
    "/definitions/env/propertyNames": {
      "patternErrorMessage": "must be an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit"
    },
    "/definitions/envFrom/items": {
      "errorMessage": "needs exactly one of `configMapRef` or `secretRef`"
    },
    "/definitions/volumeMounts/items/properties/mountPath": {
      "patternErrorMessage": "must be an absolute path (start with '/')"
    },
    "/definitions/volumeMounts/items/properties/subPath": {
      "patternErrorMessage": "must be a relative path without '..'"
    },
    "/definitions/httpGet/properties/path": {
      "patternErrorMessage": "must start with '/'"
    },
    "/definitions/lifecycleHandler": {
      "errorMessage": "needs exactly one of `exec`, `httpGet`, `tcpSocket` or `sleep`"
    },
    "/definitions/containerPorts/items/properties/name": {
      "patternErrorMessage": "must be an IANA service name: at most 15 lowercase letters, digits and '-', at least one letter, no '--'"
    },
    "/definitions/extraContainer/properties/workingDir": {
      "patternErrorMessage": "must be an absolute path (start with '/')"
    },
    "/definitions/volume": {
      "errorMessage": "needs a `name` and exactly one of `configMap`, `secret`, `emptyDir`, `persistentVolumeClaim` or `projected`"
    },
    "/definitions/volume/properties/configMap/properties/items/items/properties/path": {
      "patternErrorMessage": "must be a relative path without '..'"
    },
    "/definitions/volume/properties/secret/properties/items/items/properties/path": {
      "patternErrorMessage": "must be a relative path without '..'"
    },
    "/definitions/volume/properties/projected/properties/sources/items/properties/configMap/properties/items/items/properties/path": {
      "patternErrorMessage": "must be a relative path without '..'"
    },
    "/definitions/volume/properties/projected/properties/sources/items/properties/secret/properties/items/items/properties/path": {
      "patternErrorMessage": "must be a relative path without '..'"
    },
    "/definitions/patch": {
      "errorMessage": "needs a `target` and exactly one of `patch` or `jsonPatch`"
    },
    "/definitions/patch/properties/jsonPatch/items/properties/path": {
      "patternErrorMessage": "must be a JSON pointer ('' or starting with '/')"
    },
    "/definitions/patch/properties/jsonPatch/items/properties/from": {
      "patternErrorMessage": "must be a JSON pointer ('' or starting with '/')"
    },
    "/definitions/lambdaFields/properties/alias/properties/functionVersion": {
      "patternErrorMessage": "must be `$LATEST` or a version number"
    },
    "/definitions/lambdaFields/properties/mirror/properties/repository": {
      "patternErrorMessage": "must be an ECR repository name: lowercase letters, digits, `.`, `_`, `-`, `/`"
    }
  },
  "config": {
    "/properties/registries/propertyNames": {
      "patternErrorMessage": "must be lowercase letters, digits, '-' or '_'"
    },
    "/definitions/dnsLabel": {
      "patternErrorMessage": "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
    },
    "/definitions/secretRef": {
      "errorMessage": "secrets are referenced, never stored: write `{ env: VARIABLE_NAME }`"
    },
    "/definitions/secretRef/properties/env": {
      "patternErrorMessage": "must be an environment variable name"
    },
    "/definitions/ociRegistry/properties/url": {
      "patternErrorMessage": "must be an http(s) URL"
    },
    "/definitions/ociRegistry/properties/prefix": {
      "patternErrorMessage": "must be an OCI repository path prefix"
    },
    "/definitions/staticRegistry/properties/host": {
      "patternErrorMessage": "must be a host name with an optional `:port`"
    },
    "/properties/kubernetes/properties/version": {
      "patternErrorMessage": "must be a Kubernetes minor version such as `1.32` (quote it in YAML)"
    },
    "/definitions/harRegistry/properties/url": {
      "patternErrorMessage": "must be an http(s) URL"
    },
    "/definitions/harRegistry/properties/api": {
      "patternErrorMessage": "must be an http(s) URL"
    },
    "/definitions/harRegistry/properties/account": {
      "patternErrorMessage": "must be a Harness account identifier (letters, digits, '_' or '-')"
    },
    "/definitions/harRegistry/properties/registry": {
      "patternErrorMessage": "must be a HAR registry identifier (lowercase, starting with a letter)"
    },
    "/properties/environments/items/properties/aws/properties/region": {
      "patternErrorMessage": "must be an AWS region such as `eu-west-1`"
    },
    "/properties/environments/items/properties/aws/properties/account": {
      "patternErrorMessage": "must be a 12-digit AWS account id (quote it: \"012345678901\")"
    },
    "/properties/aws/properties/region": {
      "patternErrorMessage": "must be an AWS region such as `eu-west-1`"
    },
    "/properties/aws/properties/account": {
      "patternErrorMessage": "must be a 12-digit AWS account id (quote it: \"012345678901\")"
    }
  },
  "catalog": {
    "/definitions/version/properties/digest": {
      "patternErrorMessage": "must be `sha256:` followed by 64 lowercase hex digits"
    },
    "/definitions/version/properties/platforms/items": {
      "patternErrorMessage": "must be `os/arch` or `os/arch/variant`, e.g. `linux/arm64`"
    },
    "/definitions/version/properties/platforms/propertyNames": {
      "patternErrorMessage": "must be `os/arch` or `os/arch/variant`"
    },
    "/definitions/version/properties/platforms/additionalProperties/oneOf/1/properties/digest": {
      "patternErrorMessage": "must be `sha256:` and 64 lowercase hex digits"
    }
  },
  "lock": {
    "/definitions/digest": {
      "patternErrorMessage": "must be `sha256:` followed by 64 lowercase hex digits"
    },
    "/definitions/entry/properties/package": {
      "patternErrorMessage": "must be an OCI repository path (lowercase components separated by /)"
    },
    "/definitions/entry/properties/tag": {
      "patternErrorMessage": "must be a tag: [A-Za-z0-9_] then up to 127 of [A-Za-z0-9._+-]"
    },
    "/definitions/entry/properties/fingerprint": {
      "patternErrorMessage": "must be `sha256:` followed by 16 lowercase hex digits"
    }
  }
};
