/**
 * `spec.lambda`: the AWS Lambda target's part of the service schema.
 * The shipped schemas/service.schema.json is generated from this (`npm run schemas`); edit here.
 */
import type { TargetSchemaFragment } from '../../validate/plugin-schema.js';

export const schema: TargetSchemaFragment = {
  "spec": {
    "$ref": "#/definitions/lambda"
  },
  "override": {
    "$ref": "#/definitions/lambdaFields"
  },
  "definitions": {
    "lambdaFields": {
      "description": "Render an AWS Lambda CreateFunction request (function.json) and optional alias.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "functionName": {
          "description": "Function name: 1-64 letters, digits, '-' or '_'.",
          "type": "string",
          "pattern": "^[A-Za-z0-9_-]{1,64}$",
          "examples": [
            "checkout-fn"
          ]
        },
        "runtime": {
          "description": "Runtime identifier (zip packages only), from the table of runtimes AWS currently supports.",
          "type": "string",
          "enum": [
            "nodejs24.x",
            "nodejs22.x",
            "python3.14",
            "python3.13",
            "python3.12",
            "python3.11",
            "python3.10",
            "java25",
            "java21",
            "java17",
            "java11",
            "java8.al2",
            "java17.al2023",
            "java11.al2023",
            "java8.al2023",
            "dotnet10",
            "dotnet8",
            "ruby4.0",
            "ruby3.4",
            "ruby3.3",
            "provided.al2023",
            "provided.al2"
          ],
          "examples": [
            "nodejs22.x"
          ]
        },
        "handler": {
          "description": "Handler (zip packages only).",
          "type": "string",
          "maxLength": 128,
          "pattern": "^\\S+$",
          "examples": [
            "index.handler"
          ]
        },
        "role": {
          "description": "Execution role ARN.",
          "type": "string",
          "pattern": "^arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$",
          "examples": [
            "arn:aws:iam::123456789012:role/checkout"
          ]
        },
        "memorySize": {
          "description": "Memory in MB.",
          "type": "integer",
          "minimum": 128,
          "maximum": 10240,
          "examples": [
            512
          ]
        },
        "timeout": {
          "description": "Timeout in seconds.",
          "type": "integer",
          "minimum": 1,
          "maximum": 900,
          "examples": [
            30
          ]
        },
        "architectures": {
          "description": "Instruction set: exactly one of x86_64 or arm64.",
          "type": "array",
          "minItems": 1,
          "maxItems": 1,
          "items": {
            "enum": [
              "x86_64",
              "arm64"
            ]
          },
          "examples": [
            [
              "arm64"
            ]
          ]
        },
        "environment": {
          "description": "Environment variables: at most 4 KB in total; names reserved by Lambda are refused.",
          "type": "object",
          "propertyNames": {
            "pattern": "^[a-zA-Z][a-zA-Z0-9_]+$"
          },
          "additionalProperties": {
            "type": "string"
          },
          "examples": [
            {
              "STAGE": "prod"
            }
          ]
        },
        "ephemeralStorage": {
          "description": "Size of /tmp in MB.",
          "type": "integer",
          "minimum": 512,
          "maximum": 10240,
          "examples": [
            512
          ]
        },
        "description": {
          "description": "Function description.",
          "type": "string",
          "maxLength": 256
        },
        "code": {
          "description": "Where the zip is (format: file).",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "s3Bucket": {
              "description": "S3 bucket in the function's region.",
              "type": "string",
              "pattern": "^(?=.{3,63}$)[0-9A-Za-z.\\-_]*[0-9A-Za-z\\-_]$",
              "examples": [
                "acme-artifacts"
              ]
            },
            "s3Key": {
              "description": "S3 key template; `{package}`, `{tag}`, `{file}`, `{digest}`, `{fileDigest}`, `{service}`, `{environment}`, `{region}`, `{account}` are replaced. Default `{package}/{fileDigest}/{file}` (content addressed; `gitopsc stage` uploads there).",
              "type": "string",
              "minLength": 1,
              "maxLength": 1024,
              "examples": [
                "{package}/{tag}/{file}"
              ]
            },
            "s3ObjectVersion": {
              "description": "S3 object version of the zip (versioned buckets); `gitopsc stage` records it in the lock, which wins.",
              "type": "string",
              "minLength": 1,
              "maxLength": 1024
            }
          }
        },
        "alias": {
          "description": "Publish an alias pointing at the new version.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "name": {
              "description": "Alias name: 1-128 letters, digits, '-' or '_', not only digits.",
              "type": "string",
              "maxLength": 128,
              "pattern": "^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$",
              "examples": [
                "live"
              ]
            },
            "description": {
              "description": "Alias description.",
              "type": "string",
              "maxLength": 256
            },
            "functionVersion": {
              "description": "Version the alias points at: a number pins it; `$LATEST` (the default) means the version this deployment publishes (the apply script and the ack/harness/cloudformation outputs move the alias to it).",
              "type": "string",
              "pattern": "^(\\$LATEST|[0-9]+)$",
              "examples": [
                "$LATEST",
                "7"
              ]
            }
          },
          "required": [
            "name"
          ]
        },
        "layers": {
          "description": "Layer version ARNs (at most 5; zip packages only: Lambda refuses layers for images).",
          "type": "array",
          "maxItems": 5,
          "items": {
            "type": "string",
            "pattern": "^arn:[a-zA-Z0-9-]+:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+$"
          }
        },
        "tracing": {
          "description": "X-Ray tracing mode.",
          "type": "string",
          "enum": [
            "Active",
            "PassThrough"
          ]
        },
        "tags": {
          "description": "Function tags (merged over `metadata.labels`, which are added to every rendered resource; Kubernetes-only `app.kubernetes.io/*` labels are not).",
          "type": "object",
          "propertyNames": {
            "minLength": 1,
            "maxLength": 128
          },
          "additionalProperties": {
            "type": "string",
            "maxLength": 256
          }
        },
        "publish": {
          "description": "Publish a new version on create and on code updates (default true); an alias is moved to the published version.",
          "type": "boolean"
        },
        "mirror": {
          "description": "ECR repository that serves the image to Lambda (Lambda runs images only from Amazon ECR in the function's region): `gitopsc stage` copies the image there and the outputs render its URI.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "registry": {
              "description": "Name of the mirror in config.registries (an ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com`).",
              "type": "string",
              "minLength": 1
            },
            "repository": {
              "description": "Repository in the mirror (default: the artifact's package).",
              "type": "string",
              "minLength": 1,
              "maxLength": 256,
              "pattern": "^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$"
            }
          },
          "required": [
            "registry"
          ]
        }
      }
    },
    "lambda": {
      "type": "object",
      "description": "Render an AWS Lambda CreateFunction request (function.json) and optional alias. Requires functionName and role; format: file also requires runtime, handler and code.s3Bucket.",
      "allOf": [
        {
          "$ref": "#/definitions/lambdaFields"
        }
      ],
      "required": [
        "functionName",
        "role"
      ]
    }
  }
};
