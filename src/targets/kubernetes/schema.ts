/**
 * `spec.kubernetes`: the Kubernetes target's part of the service schema.
 * The shipped schemas/service.schema.json is generated from this (`npm run schemas`); edit here.
 */
import type { TargetSchemaFragment } from '../../validate/plugin-schema.js';

export const schema: TargetSchemaFragment = {
  "spec": {
    "$ref": "#/definitions/kubernetes"
  },
  "override": {
    "$ref": "#/definitions/kubernetes"
  },
  "definitions": {
    "kubernetes": {
      "description": "Render a Kubernetes Deployment (and, when declared, a Service, Ingress, HorizontalPodAutoscaler, PodDisruptionBudget and ServiceAccount).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "namespace": {
          "description": "Namespace of the rendered resources.",
          "$ref": "#/definitions/dnsLabel",
          "examples": [
            "payments"
          ]
        },
        "replicas": {
          "description": "Pod replicas (ignored by the cluster when autoscaling is set).",
          "type": "integer",
          "minimum": 0,
          "examples": [
            2
          ]
        },
        "ports": {
          "$ref": "#/definitions/containerPorts"
        },
        "command": {
          "description": "Entrypoint (replaces the image ENTRYPOINT).",
          "type": "array",
          "items": {
            "type": "string"
          },
          "examples": [
            [
              "/app/server"
            ]
          ]
        },
        "args": {
          "description": "Arguments (replace the image CMD).",
          "type": "array",
          "items": {
            "type": "string"
          },
          "examples": [
            [
              "--port=8080"
            ]
          ]
        },
        "workingDir": {
          "description": "Working directory.",
          "type": "string",
          "pattern": "^/"
        },
        "env": {
          "$ref": "#/definitions/env"
        },
        "envFrom": {
          "$ref": "#/definitions/envFrom"
        },
        "volumeMounts": {
          "$ref": "#/definitions/volumeMounts"
        },
        "securityContext": {
          "$ref": "#/definitions/securityContext"
        },
        "lifecycle": {
          "$ref": "#/definitions/lifecycle"
        },
        "imagePullPolicy": {
          "description": "When the kubelet pulls the image.",
          "type": "string",
          "enum": [
            "Always",
            "IfNotPresent",
            "Never"
          ]
        },
        "pod": {
          "$ref": "#/definitions/pod"
        },
        "strategy": {
          "description": "Deployment rollout strategy.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "type": {
              "description": "`RollingUpdate` (default) or `Recreate`.",
              "type": "string",
              "enum": [
                "RollingUpdate",
                "Recreate"
              ]
            },
            "rollingUpdate": {
              "description": "RollingUpdate parameters.",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "maxSurge": {
                  "$ref": "#/definitions/intOrPercent"
                },
                "maxUnavailable": {
                  "$ref": "#/definitions/intOrPercent"
                }
              }
            }
          }
        },
        "minReadySeconds": {
          "description": "Seconds a new pod must be ready before it counts as available.",
          "type": "integer",
          "minimum": 0
        },
        "revisionHistoryLimit": {
          "description": "Old ReplicaSets kept for rollback.",
          "type": "integer",
          "minimum": 0
        },
        "service": {
          "description": "Render a Service in front of the pods.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "port": {
              "description": "Service port.",
              "type": "integer",
              "minimum": 1,
              "maximum": 65535,
              "examples": [
                80
              ]
            },
            "targetPort": {
              "$ref": "#/definitions/portRef"
            },
            "type": {
              "description": "Service type.",
              "type": "string",
              "enum": [
                "ClusterIP",
                "NodePort",
                "LoadBalancer"
              ],
              "default": "ClusterIP"
            },
            "name": {
              "description": "Port name (default: the container port's name, else `http`).",
              "type": "string",
              "pattern": "^(?=.{1,15}$)(?!.*--)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
              "examples": [
                "grpc"
              ]
            },
            "protocol": {
              "description": "Protocol (default: the target container port's, else TCP).",
              "type": "string",
              "enum": [
                "TCP",
                "UDP",
                "SCTP"
              ]
            },
            "appProtocol": {
              "description": "Application protocol hint (`http`, `h2c`, `kubernetes.io/h2c`, ...).",
              "type": "string",
              "minLength": 1
            },
            "nodePort": {
              "description": "NodePort (type NodePort or LoadBalancer).",
              "type": "integer",
              "minimum": 1,
              "maximum": 65535
            },
            "annotations": {
              "description": "Service annotations.",
              "$ref": "#/definitions/stringMap"
            }
          },
          "required": [
            "port"
          ]
        },
        "ingress": {
          "description": "Render an Ingress to the Service.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "host": {
              "description": "Host name (DNS-1123 subdomain; a leading `*.` wildcard is allowed).",
              "type": "string",
              "maxLength": 253,
              "pattern": "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
              "examples": [
                "shop.example.com"
              ]
            },
            "path": {
              "description": "Path prefix.",
              "type": "string",
              "pattern": "^/",
              "default": "/",
              "examples": [
                "/"
              ]
            },
            "className": {
              "description": "IngressClass name (alias of `ingressClassName`).",
              "$ref": "#/definitions/dnsSubdomain",
              "examples": [
                "nginx"
              ]
            },
            "tls": {
              "description": "TLS for the host.",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "secretName": {
                  "description": "Secret holding the certificate.",
                  "$ref": "#/definitions/dnsSubdomain"
                }
              },
              "required": [
                "secretName"
              ]
            },
            "annotations": {
              "description": "Ingress annotations.",
              "$ref": "#/definitions/stringMap"
            },
            "pathType": {
              "description": "How `path` matches (default `Prefix`).",
              "type": "string",
              "enum": [
                "Prefix",
                "Exact",
                "ImplementationSpecific"
              ],
              "default": "Prefix"
            },
            "ingressClassName": {
              "description": "IngressClass name (`className` is an alias).",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "backend": {
              "description": "The backend Service when it is not the one this service renders.",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "service": {
                  "description": "A Service.",
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "name": {
                      "description": "Service name.",
                      "$ref": "#/definitions/dnsLabel"
                    },
                    "port": {
                      "description": "Its port: number or name.",
                      "type": "object",
                      "additionalProperties": false,
                      "properties": {
                        "number": {
                          "description": "Port number.",
                          "type": "integer",
                          "minimum": 1,
                          "maximum": 65535
                        },
                        "name": {
                          "description": "Port name.",
                          "type": "string",
                          "minLength": 1
                        }
                      }
                    }
                  },
                  "required": [
                    "name",
                    "port"
                  ]
                }
              },
              "required": [
                "service"
              ]
            }
          },
          "required": [
            "host"
          ]
        },
        "autoscaling": {
          "description": "Render a HorizontalPodAutoscaler.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "minReplicas": {
              "description": "Minimum replicas.",
              "type": "integer",
              "minimum": 1,
              "examples": [
                2
              ]
            },
            "maxReplicas": {
              "description": "Maximum replicas.",
              "type": "integer",
              "minimum": 1,
              "examples": [
                10
              ]
            },
            "targetCPUUtilizationPercentage": {
              "description": "Target average CPU utilization, percent.",
              "type": "integer",
              "minimum": 1,
              "maximum": 100,
              "examples": [
                70
              ]
            }
          },
          "required": [
            "maxReplicas"
          ]
        },
        "disruptionBudget": {
          "description": "Render a PodDisruptionBudget (poddisruptionbudget.yaml): exactly one of minAvailable or maxUnavailable.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "minAvailable": {
              "description": "Pods that must stay available (count or percentage).",
              "$ref": "#/definitions/intOrPercent"
            },
            "maxUnavailable": {
              "description": "Pods that may be unavailable (count or percentage).",
              "$ref": "#/definitions/intOrPercent"
            },
            "unhealthyPodEvictionPolicy": {
              "description": "When unhealthy pods may be evicted.",
              "type": "string",
              "enum": [
                "IfHealthyBudget",
                "AlwaysAllow"
              ]
            }
          },
          "oneOf": [
            {
              "type": "object",
              "required": [
                "minAvailable"
              ]
            },
            {
              "type": "object",
              "required": [
                "maxUnavailable"
              ]
            }
          ]
        },
        "serviceAccount": {
          "description": "Render a ServiceAccount (serviceaccount.yaml) and run the pods as it.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "create": {
              "description": "Render the ServiceAccount (default true).",
              "type": "boolean"
            },
            "name": {
              "description": "Its name (default: `serviceAccountName`, else the service name).",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "annotations": {
              "description": "ServiceAccount annotations (e.g. `eks.amazonaws.com/role-arn`).",
              "$ref": "#/definitions/stringMap"
            },
            "automountServiceAccountToken": {
              "description": "Mount the token into pods by default.",
              "type": "boolean"
            }
          }
        },
        "serviceAccountName": {
          "description": "ServiceAccount the pods run as.",
          "$ref": "#/definitions/dnsSubdomain"
        },
        "imagePullSecrets": {
          "description": "Names of Secrets used to pull the image (names only, never credentials).",
          "type": "array",
          "items": {
            "$ref": "#/definitions/dnsSubdomain"
          },
          "examples": [
            [
              "har-pull"
            ]
          ]
        },
        "annotations": {
          "description": "Annotations on the rendered Deployment.",
          "$ref": "#/definitions/stringMap"
        },
        "patches": {
          "description": "Patches applied to the rendered resources, in order (the escape hatch for anything not typed here).",
          "type": "array",
          "items": {
            "$ref": "#/definitions/patch"
          }
        },
        "probes": {
          "$ref": "#/definitions/probes"
        },
        "resources": {
          "$ref": "#/definitions/resources"
        }
      }
    },
    "dnsSubdomain": {
      "type": "string",
      "minLength": 1,
      "maxLength": 253,
      "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
    },
    "portRef": {
      "description": "A port number or a named container port.",
      "type": [
        "integer",
        "string"
      ],
      "minimum": 1,
      "maximum": 65535,
      "pattern": "^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
      "examples": [
        8080,
        "http"
      ]
    },
    "probe": {
      "description": "A container probe: exactly one of httpGet, tcpSocket, exec or grpc.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "httpGet": {
          "$ref": "#/definitions/httpGet"
        },
        "tcpSocket": {
          "description": "TCP connect probe.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "port": {
              "$ref": "#/definitions/portRef"
            }
          },
          "required": [
            "port"
          ]
        },
        "exec": {
          "description": "Command probe.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "command": {
              "description": "Command and arguments (no shell).",
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "string"
              },
              "examples": [
                [
                  "cat",
                  "/tmp/ready"
                ]
              ]
            }
          },
          "required": [
            "command"
          ]
        },
        "initialDelaySeconds": {
          "description": "Seconds before the first probe.",
          "type": "integer",
          "minimum": 0
        },
        "periodSeconds": {
          "description": "Seconds between probes.",
          "type": "integer",
          "minimum": 1
        },
        "timeoutSeconds": {
          "description": "Seconds before a probe times out.",
          "type": "integer",
          "minimum": 1
        },
        "successThreshold": {
          "description": "Consecutive successes to be considered healthy.",
          "type": "integer",
          "minimum": 1
        },
        "failureThreshold": {
          "description": "Consecutive failures to be considered unhealthy.",
          "type": "integer",
          "minimum": 1
        },
        "grpc": {
          "description": "gRPC health check.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "port": {
              "description": "Port number.",
              "type": "integer",
              "minimum": 1,
              "maximum": 65535
            },
            "service": {
              "description": "Service name for the health check.",
              "type": "string"
            }
          },
          "required": [
            "port"
          ]
        },
        "terminationGracePeriodSeconds": {
          "description": "Grace period after a failed probe.",
          "type": "integer",
          "minimum": 1
        }
      },
      "oneOf": [
        {
          "type": "object",
          "required": [
            "httpGet"
          ]
        },
        {
          "type": "object",
          "required": [
            "tcpSocket"
          ]
        },
        {
          "type": "object",
          "required": [
            "exec"
          ]
        },
        {
          "type": "object",
          "required": [
            "grpc"
          ]
        }
      ]
    },
    "intOrPercent": {
      "description": "A count or a percentage (`25%`).",
      "type": [
        "integer",
        "string"
      ],
      "minimum": 0,
      "pattern": "^[0-9]+%$"
    },
    "quantity": {
      "description": "A Kubernetes quantity (`100m`, `0.5`, `128Mi`, `1Gi`); rendered in the canonical form the API server stores.",
      "type": [
        "string",
        "number"
      ],
      "minimum": 0,
      "pattern": "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([eE][-+]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$",
      "examples": [
        "100m",
        "128Mi"
      ]
    },
    "resourceList": {
      "description": "Resource name -> quantity (`cpu`, `memory`, `ephemeral-storage`, `hugepages-2Mi`, extended resources like `nvidia.com/gpu`).",
      "type": "object",
      "propertyNames": {
        "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"
      },
      "additionalProperties": {
        "$ref": "#/definitions/quantity"
      }
    },
    "resources": {
      "description": "Compute requests and limits.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "requests": {
          "description": "Requested resources.",
          "$ref": "#/definitions/resourceList"
        },
        "limits": {
          "description": "Resource limits.",
          "$ref": "#/definitions/resourceList"
        }
      }
    },
    "envVarSource": {
      "description": "An env value from a Secret, a ConfigMap, a pod field or a container resource: exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "secretKeyRef": {
          "description": "A key of a Secret.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "name": {
              "description": "Secret name.",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "key": {
              "description": "Key in it.",
              "type": "string",
              "minLength": 1,
              "maxLength": 253,
              "pattern": "^[-._a-zA-Z0-9]+$"
            },
            "optional": {
              "description": "Start even when the Secret or key is missing.",
              "type": "boolean"
            }
          },
          "required": [
            "name",
            "key"
          ]
        },
        "configMapKeyRef": {
          "description": "A key of a ConfigMap.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "name": {
              "description": "ConfigMap name.",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "key": {
              "description": "Key in it.",
              "type": "string",
              "minLength": 1,
              "maxLength": 253,
              "pattern": "^[-._a-zA-Z0-9]+$"
            },
            "optional": {
              "description": "Start even when the ConfigMap or key is missing.",
              "type": "boolean"
            }
          },
          "required": [
            "name",
            "key"
          ]
        },
        "fieldRef": {
          "description": "A field of the pod (`metadata.name`, `metadata.namespace`, `status.podIP`, `spec.nodeName`, ...).",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "fieldPath": {
              "description": "Field path.",
              "type": "string",
              "minLength": 1
            },
            "apiVersion": {
              "description": "API version of the field path (default v1).",
              "type": "string"
            }
          },
          "required": [
            "fieldPath"
          ]
        },
        "resourceFieldRef": {
          "description": "A resource of a container (`limits.cpu`, `requests.memory`, ...).",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "resource": {
              "description": "Resource.",
              "type": "string",
              "minLength": 1
            },
            "containerName": {
              "description": "Container (default: this one).",
              "type": "string"
            },
            "divisor": {
              "$ref": "#/definitions/quantity"
            }
          },
          "required": [
            "resource"
          ]
        }
      },
      "oneOf": [
        {
          "type": "object",
          "required": [
            "secretKeyRef"
          ]
        },
        {
          "type": "object",
          "required": [
            "configMapKeyRef"
          ]
        },
        {
          "type": "object",
          "required": [
            "fieldRef"
          ]
        },
        {
          "type": "object",
          "required": [
            "resourceFieldRef"
          ]
        }
      ]
    },
    "env": {
      "description": "Environment variables: name -> a string value, or a reference `{secretKeyRef}`, `{configMapKeyRef}`, `{fieldRef}`, `{resourceFieldRef}` (secrets stay references). Quote values that look like numbers or booleans.",
      "type": "object",
      "propertyNames": {
        "pattern": "^[-._a-zA-Z][-._a-zA-Z0-9]*$"
      },
      "additionalProperties": {
        "description": "A literal value (a string) or a reference.",
        "type": [
          "string",
          "object"
        ],
        "if": {
          "type": "object"
        },
        "then": {
          "$ref": "#/definitions/envVarSource"
        }
      },
      "examples": [
        {
          "LOG_LEVEL": "info",
          "DB_PASSWORD": {
            "secretKeyRef": {
              "name": "db",
              "key": "password"
            }
          }
        }
      ]
    },
    "envFrom": {
      "description": "Every key of a ConfigMap or Secret as environment variables.",
      "type": "array",
      "items": {
        "description": "One source: exactly one of configMapRef or secretRef.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "configMapRef": {
            "description": "The ConfigMap.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "name": {
                "description": "ConfigMap name.",
                "$ref": "#/definitions/dnsSubdomain"
              },
              "optional": {
                "description": "Start even when the ConfigMap is missing.",
                "type": "boolean"
              }
            },
            "required": [
              "name"
            ]
          },
          "secretRef": {
            "description": "The Secret.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "name": {
                "description": "Secret name.",
                "$ref": "#/definitions/dnsSubdomain"
              },
              "optional": {
                "description": "Start even when the Secret is missing.",
                "type": "boolean"
              }
            },
            "required": [
              "name"
            ]
          },
          "prefix": {
            "description": "Prefix added to every key.",
            "type": "string"
          }
        },
        "oneOf": [
          {
            "type": "object",
            "required": [
              "configMapRef"
            ]
          },
          {
            "type": "object",
            "required": [
              "secretRef"
            ]
          }
        ]
      }
    },
    "volumeMounts": {
      "description": "Volumes mounted into the container.",
      "type": "array",
      "items": {
        "description": "A volume mount.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {
            "description": "A volume of `pod.volumes`.",
            "$ref": "#/definitions/dnsLabel"
          },
          "mountPath": {
            "description": "Where in the container.",
            "type": "string",
            "pattern": "^/"
          },
          "readOnly": {
            "description": "Mount read-only.",
            "type": "boolean"
          },
          "subPath": {
            "description": "Path inside the volume (default: its root).",
            "type": "string",
            "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$))"
          },
          "subPathExpr": {
            "description": "Like subPath, with $(VAR) expansion.",
            "type": "string"
          },
          "mountPropagation": {
            "description": "Mount propagation.",
            "type": "string",
            "enum": [
              "None",
              "HostToContainer",
              "Bidirectional"
            ]
          },
          "recursiveReadOnly": {
            "description": "Recursive read-only mode.",
            "type": "string",
            "enum": [
              "Disabled",
              "IfPossible",
              "Enabled"
            ]
          }
        },
        "required": [
          "name",
          "mountPath"
        ]
      }
    },
    "seccompProfile": {
      "description": "Seccomp profile.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "type": {
          "description": "Profile type.",
          "type": "string",
          "enum": [
            "RuntimeDefault",
            "Localhost",
            "Unconfined"
          ]
        },
        "localhostProfile": {
          "description": "Profile file (type Localhost).",
          "type": "string"
        }
      },
      "required": [
        "type"
      ]
    },
    "appArmorProfile": {
      "description": "AppArmor profile.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "type": {
          "description": "Profile type.",
          "type": "string",
          "enum": [
            "RuntimeDefault",
            "Localhost",
            "Unconfined"
          ]
        },
        "localhostProfile": {
          "description": "Profile name (type Localhost).",
          "type": "string"
        }
      },
      "required": [
        "type"
      ]
    },
    "seLinuxOptions": {
      "description": "SELinux context.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "level": {
          "description": "Level.",
          "type": "string"
        },
        "role": {
          "description": "Role.",
          "type": "string"
        },
        "type": {
          "description": "Type.",
          "type": "string"
        },
        "user": {
          "description": "User.",
          "type": "string"
        }
      }
    },
    "windowsOptions": {
      "description": "Windows-specific options.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "gmsaCredentialSpec": {
          "description": "GMSA credential spec.",
          "type": "string"
        },
        "gmsaCredentialSpecName": {
          "description": "GMSA credential spec name.",
          "type": "string"
        },
        "hostProcess": {
          "description": "Run as a host process.",
          "type": "boolean"
        },
        "runAsUserName": {
          "description": "User name.",
          "type": "string"
        }
      }
    },
    "securityContext": {
      "description": "Container security context.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "allowPrivilegeEscalation": {
          "description": "Allow a process to gain more privileges than its parent.",
          "type": "boolean"
        },
        "capabilities": {
          "description": "Linux capabilities.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "add": {
              "description": "Capabilities to add.",
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "drop": {
              "description": "Capabilities to drop (`ALL`).",
              "type": "array",
              "items": {
                "type": "string"
              }
            }
          }
        },
        "privileged": {
          "description": "Run privileged.",
          "type": "boolean"
        },
        "procMount": {
          "description": "proc mount type.",
          "type": "string",
          "enum": [
            "Default",
            "Unmasked"
          ]
        },
        "readOnlyRootFilesystem": {
          "description": "Mount the root filesystem read-only.",
          "type": "boolean"
        },
        "runAsGroup": {
          "description": "GID of the process.",
          "type": "integer",
          "minimum": 0
        },
        "runAsNonRoot": {
          "description": "Refuse to start as root.",
          "type": "boolean"
        },
        "runAsUser": {
          "description": "UID of the process.",
          "type": "integer",
          "minimum": 0
        },
        "seccompProfile": {
          "$ref": "#/definitions/seccompProfile"
        },
        "appArmorProfile": {
          "$ref": "#/definitions/appArmorProfile"
        },
        "seLinuxOptions": {
          "$ref": "#/definitions/seLinuxOptions"
        },
        "windowsOptions": {
          "$ref": "#/definitions/windowsOptions"
        }
      }
    },
    "podSecurityContext": {
      "description": "Pod security context.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "fsGroup": {
          "description": "GID owning mounted volumes.",
          "type": "integer",
          "minimum": 0
        },
        "fsGroupChangePolicy": {
          "description": "When to change volume ownership.",
          "type": "string",
          "enum": [
            "OnRootMismatch",
            "Always"
          ]
        },
        "runAsGroup": {
          "description": "GID of the processes.",
          "type": "integer",
          "minimum": 0
        },
        "runAsNonRoot": {
          "description": "Refuse to start containers as root.",
          "type": "boolean"
        },
        "runAsUser": {
          "description": "UID of the processes.",
          "type": "integer",
          "minimum": 0
        },
        "supplementalGroups": {
          "description": "Extra GIDs.",
          "type": "array",
          "items": {
            "type": "integer",
            "minimum": 0
          }
        },
        "supplementalGroupsPolicy": {
          "description": "How supplemental groups are computed.",
          "type": "string",
          "enum": [
            "Merge",
            "Strict"
          ]
        },
        "sysctls": {
          "description": "Namespaced sysctls.",
          "type": "array",
          "items": {
            "description": "A sysctl.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "name": {
                "description": "Name.",
                "type": "string",
                "minLength": 1
              },
              "value": {
                "description": "Value.",
                "type": "string"
              }
            },
            "required": [
              "name",
              "value"
            ]
          }
        },
        "seccompProfile": {
          "$ref": "#/definitions/seccompProfile"
        },
        "appArmorProfile": {
          "$ref": "#/definitions/appArmorProfile"
        },
        "seLinuxOptions": {
          "$ref": "#/definitions/seLinuxOptions"
        },
        "seLinuxChangePolicy": {
          "description": "SELinux relabelling policy.",
          "type": "string",
          "enum": [
            "MountOption",
            "Recursive"
          ]
        },
        "windowsOptions": {
          "$ref": "#/definitions/windowsOptions"
        }
      }
    },
    "httpGet": {
      "description": "HTTP GET.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "path": {
          "description": "Request path.",
          "type": "string",
          "pattern": "^/",
          "examples": [
            "/healthz"
          ]
        },
        "port": {
          "$ref": "#/definitions/portRef"
        },
        "host": {
          "description": "Host to connect to (default: the pod IP).",
          "type": "string"
        },
        "scheme": {
          "description": "HTTP or HTTPS.",
          "type": "string",
          "enum": [
            "HTTP",
            "HTTPS"
          ]
        },
        "httpHeaders": {
          "description": "Request headers.",
          "type": "array",
          "items": {
            "description": "A header.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "name": {
                "description": "Header name.",
                "type": "string",
                "minLength": 1
              },
              "value": {
                "description": "Header value.",
                "type": "string"
              }
            },
            "required": [
              "name",
              "value"
            ]
          }
        }
      },
      "required": [
        "port"
      ]
    },
    "execAction": {
      "description": "Run a command.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "command": {
          "description": "Command and arguments (no shell).",
          "type": "array",
          "items": {
            "type": "string"
          },
          "minItems": 1,
          "examples": [
            [
              "cat",
              "/tmp/ready"
            ]
          ]
        }
      },
      "required": [
        "command"
      ]
    },
    "lifecycleHandler": {
      "description": "A lifecycle hook: exactly one of exec, httpGet, tcpSocket or sleep.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "exec": {
          "$ref": "#/definitions/execAction"
        },
        "httpGet": {
          "$ref": "#/definitions/httpGet"
        },
        "tcpSocket": {
          "description": "TCP connect.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "port": {
              "$ref": "#/definitions/portRef"
            },
            "host": {
              "description": "Host.",
              "type": "string"
            }
          },
          "required": [
            "port"
          ]
        },
        "sleep": {
          "description": "Sleep.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "seconds": {
              "description": "Seconds.",
              "type": "integer",
              "minimum": 0
            }
          },
          "required": [
            "seconds"
          ]
        }
      },
      "oneOf": [
        {
          "type": "object",
          "required": [
            "exec"
          ]
        },
        {
          "type": "object",
          "required": [
            "httpGet"
          ]
        },
        {
          "type": "object",
          "required": [
            "tcpSocket"
          ]
        },
        {
          "type": "object",
          "required": [
            "sleep"
          ]
        }
      ]
    },
    "lifecycle": {
      "description": "Container lifecycle hooks.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "postStart": {
          "$ref": "#/definitions/lifecycleHandler"
        },
        "preStop": {
          "$ref": "#/definitions/lifecycleHandler"
        },
        "stopSignal": {
          "description": "Stop signal (`SIGTERM`, ...).",
          "type": "string",
          "pattern": "^SIG[A-Z0-9+]+$"
        }
      }
    },
    "probes": {
      "description": "Container probes.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "readiness": {
          "$ref": "#/definitions/probe"
        },
        "liveness": {
          "$ref": "#/definitions/probe"
        },
        "startup": {
          "$ref": "#/definitions/probe"
        }
      }
    },
    "containerPorts": {
      "description": "Container ports.",
      "type": "array",
      "items": {
        "description": "A container port.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {
            "description": "IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter.",
            "type": "string",
            "pattern": "^(?=.{1,15}$)(?!.*--)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
            "examples": [
              "http"
            ]
          },
          "containerPort": {
            "description": "Port number.",
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "examples": [
              8080
            ]
          },
          "protocol": {
            "description": "Protocol.",
            "type": "string",
            "enum": [
              "TCP",
              "UDP",
              "SCTP"
            ],
            "default": "TCP"
          },
          "hostPort": {
            "description": "Port on the host (avoid).",
            "type": "integer",
            "minimum": 1,
            "maximum": 65535
          }
        },
        "required": [
          "containerPort"
        ]
      }
    },
    "extraContainer": {
      "description": "An init or sidecar container. `image` is a pinned reference (a tag or digest; `latest` and untagged are refused); absent, the service's own artifact image.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "name": {
          "description": "Container name, unique in the pod.",
          "$ref": "#/definitions/dnsLabel"
        },
        "image": {
          "description": "Image reference: `[host/]path:tag`, `[host/]path@sha256:...` or both. Absent: the image of this service's artifact.",
          "type": "string",
          "minLength": 1,
          "maxLength": 4096,
          "examples": [
            "busybox:1.36",
            "docker.io/envoyproxy/envoy:v1.31.0@sha256:..."
          ]
        },
        "ports": {
          "$ref": "#/definitions/containerPorts"
        },
        "restartPolicy": {
          "description": "`Always` in initContainers makes a native sidecar (Kubernetes >= 1.29).",
          "type": "string",
          "enum": [
            "Always"
          ]
        },
        "command": {
          "description": "Entrypoint (replaces the image ENTRYPOINT).",
          "type": "array",
          "items": {
            "type": "string"
          },
          "examples": [
            [
              "/app/server"
            ]
          ]
        },
        "args": {
          "description": "Arguments (replace the image CMD).",
          "type": "array",
          "items": {
            "type": "string"
          },
          "examples": [
            [
              "--port=8080"
            ]
          ]
        },
        "workingDir": {
          "description": "Working directory.",
          "type": "string",
          "pattern": "^/"
        },
        "env": {
          "$ref": "#/definitions/env"
        },
        "envFrom": {
          "$ref": "#/definitions/envFrom"
        },
        "volumeMounts": {
          "$ref": "#/definitions/volumeMounts"
        },
        "securityContext": {
          "$ref": "#/definitions/securityContext"
        },
        "lifecycle": {
          "$ref": "#/definitions/lifecycle"
        },
        "resources": {
          "$ref": "#/definitions/resources"
        },
        "probes": {
          "$ref": "#/definitions/probes"
        },
        "imagePullPolicy": {
          "description": "When the kubelet pulls the image.",
          "type": "string",
          "enum": [
            "Always",
            "IfNotPresent",
            "Never"
          ]
        }
      },
      "required": [
        "name"
      ]
    },
    "volume": {
      "description": "A pod volume: a name and exactly one of configMap, secret, emptyDir, persistentVolumeClaim, projected.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "name": {
          "description": "Volume name, referenced by volumeMounts.",
          "$ref": "#/definitions/dnsLabel"
        },
        "configMap": {
          "description": "Files from a ConfigMap.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "name": {
              "description": "ConfigMap name.",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "items": {
              "description": "Only these keys, at these paths.",
              "type": "array",
              "items": {
                "description": "A key and where it goes.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "key": {
                    "description": "Key.",
                    "type": "string",
                    "minLength": 1
                  },
                  "path": {
                    "description": "Relative path.",
                    "type": "string",
                    "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$))"
                  },
                  "mode": {
                    "description": "File mode (decimal, e.g. 420 for 0644).",
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 511
                  }
                },
                "required": [
                  "key",
                  "path"
                ]
              }
            },
            "defaultMode": {
              "description": "Default file mode (decimal, e.g. 420 for 0644).",
              "type": "integer",
              "minimum": 0,
              "maximum": 511
            },
            "optional": {
              "description": "Start even when the ConfigMap is missing.",
              "type": "boolean"
            }
          },
          "required": [
            "name"
          ]
        },
        "secret": {
          "description": "Files from a Secret.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "secretName": {
              "description": "Secret name.",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "items": {
              "description": "Only these keys, at these paths.",
              "type": "array",
              "items": {
                "description": "A key and where it goes.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "key": {
                    "description": "Key.",
                    "type": "string",
                    "minLength": 1
                  },
                  "path": {
                    "description": "Relative path.",
                    "type": "string",
                    "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$))"
                  },
                  "mode": {
                    "description": "File mode (decimal, e.g. 420 for 0644).",
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 511
                  }
                },
                "required": [
                  "key",
                  "path"
                ]
              }
            },
            "defaultMode": {
              "description": "Default file mode (decimal, e.g. 420 for 0644).",
              "type": "integer",
              "minimum": 0,
              "maximum": 511
            },
            "optional": {
              "description": "Start even when the Secret is missing.",
              "type": "boolean"
            }
          },
          "required": [
            "secretName"
          ]
        },
        "emptyDir": {
          "description": "Scratch space for the pod's lifetime.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "medium": {
              "description": "`Memory` for tmpfs.",
              "type": "string",
              "enum": [
                "",
                "Memory"
              ]
            },
            "sizeLimit": {
              "$ref": "#/definitions/quantity"
            }
          }
        },
        "persistentVolumeClaim": {
          "description": "A PersistentVolumeClaim.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "claimName": {
              "description": "Claim name.",
              "$ref": "#/definitions/dnsSubdomain"
            },
            "readOnly": {
              "description": "Mount read-only.",
              "type": "boolean"
            }
          },
          "required": [
            "claimName"
          ]
        },
        "projected": {
          "description": "Several sources in one directory.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "defaultMode": {
              "description": "Default file mode (decimal, e.g. 420 for 0644).",
              "type": "integer",
              "minimum": 0,
              "maximum": 511
            },
            "sources": {
              "description": "Sources.",
              "type": "array",
              "items": {
                "description": "One source: exactly one of configMap, secret, downwardAPI, serviceAccountToken.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "configMap": {
                    "description": "ConfigMap keys.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "name": {
                        "description": "ConfigMap name.",
                        "$ref": "#/definitions/dnsSubdomain"
                      },
                      "items": {
                        "description": "Only these keys, at these paths.",
                        "type": "array",
                        "items": {
                          "description": "A key and where it goes.",
                          "type": "object",
                          "additionalProperties": false,
                          "properties": {
                            "key": {
                              "description": "Key.",
                              "type": "string",
                              "minLength": 1
                            },
                            "path": {
                              "description": "Relative path.",
                              "type": "string",
                              "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$))"
                            },
                            "mode": {
                              "description": "File mode (decimal, e.g. 420 for 0644).",
                              "type": "integer",
                              "minimum": 0,
                              "maximum": 511
                            }
                          },
                          "required": [
                            "key",
                            "path"
                          ]
                        }
                      },
                      "optional": {
                        "description": "Allow a missing ConfigMap.",
                        "type": "boolean"
                      }
                    },
                    "required": [
                      "name"
                    ]
                  },
                  "secret": {
                    "description": "Secret keys.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "name": {
                        "description": "Secret name.",
                        "$ref": "#/definitions/dnsSubdomain"
                      },
                      "items": {
                        "description": "Only these keys, at these paths.",
                        "type": "array",
                        "items": {
                          "description": "A key and where it goes.",
                          "type": "object",
                          "additionalProperties": false,
                          "properties": {
                            "key": {
                              "description": "Key.",
                              "type": "string",
                              "minLength": 1
                            },
                            "path": {
                              "description": "Relative path.",
                              "type": "string",
                              "pattern": "^(?!/)(?!.*(^|/)\\.\\.(/|$))"
                            },
                            "mode": {
                              "description": "File mode (decimal, e.g. 420 for 0644).",
                              "type": "integer",
                              "minimum": 0,
                              "maximum": 511
                            }
                          },
                          "required": [
                            "key",
                            "path"
                          ]
                        }
                      },
                      "optional": {
                        "description": "Allow a missing Secret.",
                        "type": "boolean"
                      }
                    },
                    "required": [
                      "name"
                    ]
                  },
                  "downwardAPI": {
                    "description": "Pod fields as files.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "items": {
                        "description": "Files.",
                        "type": "array",
                        "items": {
                          "description": "A file.",
                          "type": "object",
                          "additionalProperties": false,
                          "properties": {
                            "path": {
                              "description": "Relative path.",
                              "type": "string"
                            },
                            "fieldRef": {
                              "description": "A pod field.",
                              "type": "object",
                              "additionalProperties": false,
                              "properties": {
                                "fieldPath": {
                                  "description": "Field path.",
                                  "type": "string"
                                },
                                "apiVersion": {
                                  "description": "API version.",
                                  "type": "string"
                                }
                              },
                              "required": [
                                "fieldPath"
                              ]
                            },
                            "mode": {
                              "description": "File mode.",
                              "type": "integer",
                              "minimum": 0,
                              "maximum": 511
                            }
                          },
                          "required": [
                            "path"
                          ]
                        }
                      }
                    }
                  },
                  "serviceAccountToken": {
                    "description": "A bound service account token.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "path": {
                        "description": "Relative path.",
                        "type": "string"
                      },
                      "audience": {
                        "description": "Audience.",
                        "type": "string"
                      },
                      "expirationSeconds": {
                        "description": "Lifetime (>= 600).",
                        "type": "integer",
                        "minimum": 600
                      }
                    },
                    "required": [
                      "path"
                    ]
                  }
                },
                "minProperties": 1,
                "maxProperties": 1
              }
            }
          },
          "required": [
            "sources"
          ]
        }
      },
      "required": [
        "name"
      ],
      "oneOf": [
        {
          "type": "object",
          "required": [
            "configMap"
          ]
        },
        {
          "type": "object",
          "required": [
            "secret"
          ]
        },
        {
          "type": "object",
          "required": [
            "emptyDir"
          ]
        },
        {
          "type": "object",
          "required": [
            "persistentVolumeClaim"
          ]
        },
        {
          "type": "object",
          "required": [
            "projected"
          ]
        }
      ]
    },
    "labelSelector": {
      "description": "A label selector.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "matchLabels": {
          "description": "Labels that must match.",
          "$ref": "#/definitions/stringMap"
        },
        "matchExpressions": {
          "description": "Expressions that must match.",
          "type": "array",
          "items": {
            "description": "An expression.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "key": {
                "description": "Label key.",
                "type": "string",
                "minLength": 1
              },
              "operator": {
                "description": "Operator.",
                "type": "string",
                "enum": [
                  "In",
                  "NotIn",
                  "Exists",
                  "DoesNotExist"
                ]
              },
              "values": {
                "description": "Values.",
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            },
            "required": [
              "key",
              "operator"
            ]
          }
        }
      }
    },
    "nodeSelectorTerm": {
      "description": "A node selector term (all its expressions must match).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "matchExpressions": {
          "description": "Node label expressions.",
          "type": "array",
          "items": {
            "description": "An expression.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "key": {
                "description": "Label key.",
                "type": "string",
                "minLength": 1
              },
              "operator": {
                "description": "Operator.",
                "type": "string",
                "enum": [
                  "In",
                  "NotIn",
                  "Exists",
                  "DoesNotExist",
                  "Gt",
                  "Lt"
                ]
              },
              "values": {
                "description": "Values.",
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            },
            "required": [
              "key",
              "operator"
            ]
          }
        },
        "matchFields": {
          "description": "Node field expressions.",
          "type": "array",
          "items": {
            "description": "An expression.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "key": {
                "description": "Field.",
                "type": "string",
                "minLength": 1
              },
              "operator": {
                "description": "Operator.",
                "type": "string",
                "enum": [
                  "In",
                  "NotIn",
                  "Exists",
                  "DoesNotExist",
                  "Gt",
                  "Lt"
                ]
              },
              "values": {
                "description": "Values.",
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            },
            "required": [
              "key",
              "operator"
            ]
          }
        }
      }
    },
    "podAffinityTerm": {
      "description": "Pods this pod must (not) be near.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "labelSelector": {
          "$ref": "#/definitions/labelSelector"
        },
        "namespaceSelector": {
          "$ref": "#/definitions/labelSelector"
        },
        "namespaces": {
          "description": "Namespaces (default: this one).",
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "topologyKey": {
          "description": "Node label defining \"near\" (`kubernetes.io/hostname`, `topology.kubernetes.io/zone`).",
          "type": "string",
          "minLength": 1
        },
        "matchLabelKeys": {
          "description": "Pod label keys whose values are added to the selector.",
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "mismatchLabelKeys": {
          "description": "Pod label keys whose values are excluded.",
          "type": "array",
          "items": {
            "type": "string"
          }
        }
      },
      "required": [
        "topologyKey"
      ]
    },
    "affinity": {
      "description": "Scheduling affinity.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "nodeAffinity": {
          "description": "Node affinity.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
              "description": "Hard rule.",
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "nodeSelectorTerms": {
                  "description": "Terms (any may match).",
                  "type": "array",
                  "items": {
                    "$ref": "#/definitions/nodeSelectorTerm"
                  },
                  "minItems": 1
                }
              },
              "required": [
                "nodeSelectorTerms"
              ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": {
              "description": "Soft rules.",
              "type": "array",
              "items": {
                "description": "A weighted term.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "weight": {
                    "description": "Weight 1-100.",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100
                  },
                  "preference": {
                    "$ref": "#/definitions/nodeSelectorTerm"
                  }
                },
                "required": [
                  "weight",
                  "preference"
                ]
              }
            }
          }
        },
        "podAffinity": {
          "description": "Pod affinity.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
              "description": "Hard rules.",
              "type": "array",
              "items": {
                "$ref": "#/definitions/podAffinityTerm"
              }
            },
            "preferredDuringSchedulingIgnoredDuringExecution": {
              "description": "Soft rules.",
              "type": "array",
              "items": {
                "description": "A weighted rule.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "weight": {
                    "description": "Weight 1-100.",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100
                  },
                  "podAffinityTerm": {
                    "$ref": "#/definitions/podAffinityTerm"
                  }
                },
                "required": [
                  "weight",
                  "podAffinityTerm"
                ]
              }
            }
          }
        },
        "podAntiAffinity": {
          "description": "Pod anti-affinity.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
              "description": "Hard rules.",
              "type": "array",
              "items": {
                "$ref": "#/definitions/podAffinityTerm"
              }
            },
            "preferredDuringSchedulingIgnoredDuringExecution": {
              "description": "Soft rules.",
              "type": "array",
              "items": {
                "description": "A weighted rule.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "weight": {
                    "description": "Weight 1-100.",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100
                  },
                  "podAffinityTerm": {
                    "$ref": "#/definitions/podAffinityTerm"
                  }
                },
                "required": [
                  "weight",
                  "podAffinityTerm"
                ]
              }
            }
          }
        }
      }
    },
    "toleration": {
      "description": "A toleration.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "key": {
          "description": "Taint key (empty with Exists: every taint).",
          "type": "string"
        },
        "operator": {
          "description": "Operator.",
          "type": "string",
          "enum": [
            "Exists",
            "Equal"
          ]
        },
        "value": {
          "description": "Taint value (Equal).",
          "type": "string"
        },
        "effect": {
          "description": "Taint effect (empty: all).",
          "type": "string",
          "enum": [
            "",
            "NoSchedule",
            "PreferNoSchedule",
            "NoExecute"
          ]
        },
        "tolerationSeconds": {
          "description": "NoExecute only: seconds before eviction.",
          "type": "integer"
        }
      }
    },
    "topologySpreadConstraint": {
      "description": "How to spread the pods.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "maxSkew": {
          "description": "Maximum difference in pod count between domains.",
          "type": "integer",
          "minimum": 1
        },
        "topologyKey": {
          "description": "Node label defining a domain.",
          "type": "string",
          "minLength": 1
        },
        "whenUnsatisfiable": {
          "description": "What to do when the skew cannot be kept.",
          "type": "string",
          "enum": [
            "DoNotSchedule",
            "ScheduleAnyway"
          ]
        },
        "labelSelector": {
          "description": "Pods counted (default: none; usually the service's own selector labels).",
          "$ref": "#/definitions/labelSelector"
        },
        "minDomains": {
          "description": "Minimum number of domains.",
          "type": "integer",
          "minimum": 1
        },
        "matchLabelKeys": {
          "description": "Pod label keys whose values are added to the selector (`pod-template-hash`).",
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "nodeAffinityPolicy": {
          "description": "Honor or Ignore node affinity.",
          "type": "string",
          "enum": [
            "Honor",
            "Ignore"
          ]
        },
        "nodeTaintsPolicy": {
          "description": "Honor or Ignore node taints.",
          "type": "string",
          "enum": [
            "Honor",
            "Ignore"
          ]
        }
      },
      "required": [
        "maxSkew",
        "topologyKey",
        "whenUnsatisfiable"
      ]
    },
    "pod": {
      "description": "Pod-level fields of the rendered pod template.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "annotations": {
          "description": "Annotations on the pod template.",
          "$ref": "#/definitions/stringMap"
        },
        "labels": {
          "description": "Extra labels on the pod template (not in the selector).",
          "$ref": "#/definitions/labels"
        },
        "volumes": {
          "description": "Pod volumes.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/volume"
          }
        },
        "securityContext": {
          "$ref": "#/definitions/podSecurityContext"
        },
        "nodeSelector": {
          "description": "Node labels the pod must run on.",
          "$ref": "#/definitions/stringMap"
        },
        "tolerations": {
          "description": "Taints the pod tolerates.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/toleration"
          }
        },
        "affinity": {
          "$ref": "#/definitions/affinity"
        },
        "topologySpreadConstraints": {
          "description": "Spread constraints.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/topologySpreadConstraint"
          }
        },
        "priorityClassName": {
          "description": "PriorityClass name.",
          "$ref": "#/definitions/dnsSubdomain"
        },
        "terminationGracePeriodSeconds": {
          "description": "Seconds between SIGTERM and SIGKILL.",
          "type": "integer",
          "minimum": 0
        },
        "initContainers": {
          "description": "Init containers (run before the main container; `restartPolicy: Always` makes a native sidecar).",
          "type": "array",
          "items": {
            "$ref": "#/definitions/extraContainer"
          }
        },
        "containers": {
          "description": "Sidecar containers beside the main one.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/extraContainer"
          }
        },
        "automountServiceAccountToken": {
          "description": "Mount the service account token.",
          "type": "boolean"
        },
        "runtimeClassName": {
          "description": "RuntimeClass name.",
          "$ref": "#/definitions/dnsSubdomain"
        },
        "hostAliases": {
          "description": "/etc/hosts entries.",
          "type": "array",
          "items": {
            "description": "Host names for an IP.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "ip": {
                "description": "IP address.",
                "type": "string"
              },
              "hostnames": {
                "description": "Host names.",
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            },
            "required": [
              "ip"
            ]
          }
        },
        "dnsPolicy": {
          "description": "DNS policy.",
          "type": "string",
          "enum": [
            "ClusterFirst",
            "ClusterFirstWithHostNet",
            "Default",
            "None"
          ]
        },
        "enableServiceLinks": {
          "description": "Inject service environment variables.",
          "type": "boolean"
        },
        "shareProcessNamespace": {
          "description": "Share one process namespace between containers.",
          "type": "boolean"
        }
      }
    },
    "patch": {
      "description": "A patch applied to a rendered resource: `target` and exactly one of `patch` (strategic merge) or `jsonPatch` (RFC 6902).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "target": {
          "description": "The resource to patch.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "kind": {
              "description": "Resource kind (`Deployment`, `Service`, ...).",
              "type": "string",
              "minLength": 1,
              "examples": [
                "Deployment"
              ]
            },
            "name": {
              "description": "Resource name (default: any).",
              "type": "string",
              "minLength": 1
            }
          },
          "required": [
            "kind"
          ]
        },
        "patch": {
          "description": "A strategic-merge patch (as `kubectl patch --type strategic` / kustomize patches): maps merge, lists of containers, env, volumes, ports merge by key, `null` deletes, `$patch: delete|replace`.",
          "type": "object"
        },
        "jsonPatch": {
          "description": "An RFC 6902 JSON patch.",
          "type": "array",
          "items": {
            "description": "One operation.",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "op": {
                "description": "Operation.",
                "type": "string",
                "enum": [
                  "add",
                  "remove",
                  "replace",
                  "move",
                  "copy",
                  "test"
                ]
              },
              "path": {
                "description": "JSON pointer.",
                "type": "string",
                "pattern": "^(/.*)?$"
              },
              "from": {
                "description": "JSON pointer (move, copy).",
                "type": "string",
                "pattern": "^(/.*)?$"
              },
              "value": {
                "description": "Value (add, replace, test)."
              }
            },
            "required": [
              "op",
              "path"
            ]
          }
        }
      },
      "required": [
        "target"
      ],
      "oneOf": [
        {
          "type": "object",
          "required": [
            "patch"
          ]
        },
        {
          "type": "object",
          "required": [
            "jsonPatch"
          ]
        }
      ]
    }
  }
};
