/**
 * Stable reason ids: one per rule that gives a diagnostic, kebab-case, unique per code. A reason
 * names the rule, never the wording: messages may be reworded, reasons may not (add new ones
 * freely). docs/diagnostics.md lists them all; test/reasons.test.ts keeps the two equal.
 * Types only are exported beside the table, so TypeScript checks every `reason:` against its code.
 */
export const REASONS = {
  YAML_SYNTAX: {
    'invalid-yaml': 'the parser refused the file (the message quotes the YAML library)',
    'duplicate-key': 'a mapping has the same key twice',
    'non-scalar-key': 'a mapping key is a mapping or a list',
    'merge-key': 'a merge key (`<<`)',
    tag: 'an explicit tag (`!foo`)',
    anchor: 'an anchor (`&a`)',
    alias: 'an alias (`*a`)',
    directive: 'a `%YAML` or `%TAG` directive',
    'multiple-documents': 'a second YAML document in one file',
    'empty-file': 'an empty file where a mapping is expected',
    'invalid-utf8': 'bytes that are not UTF-8',
    'too-large': 'a file over the size limit',
    'too-deep': 'nesting deeper than the limit',
  },
  SCHEMA: {
    // JSON Schema keywords (ajv), one reason per rule
    required: 'a required property is missing',
    'unknown-property': 'a property the schema does not define',
    'invalid-name': 'a property name the schema refuses (propertyNames)',
    'wrong-type': 'a value of the wrong type',
    'out-of-range': 'a number below the minimum or above the maximum',
    'not-allowed-value': 'a value outside the allowed list (enum, const, type discriminator)',
    pattern: 'a string that does not match the pattern the schema gives',
    length: 'a string too short or too long',
    'item-count': 'a list with too few or too many items',
    format: 'a string that is not a valid URI, hostname, ... (format)',
    'needs-property': 'a property that needs another property beside it',
    'no-variant-matches': 'a value that matches none of the allowed shapes (oneOf/anyOf/not)',
    invalid: 'another JSON Schema rule',
    // valid YAML that no schema allows
    'forbidden-key': '`__proto__`, `constructor` or `prototype` as a key',
    'not-a-mapping': 'a file whose root is not a mapping',
    // field checks beyond the schema
    'not-allowed-here': 'a field that does not apply with the other fields set (format, strategy, image or zip)',
    'min-exceeds-max': 'a minimum above its maximum (autoscaling.minReplicas > maxReplicas)',
    'reserved-env': 'a Lambda environment variable AWS reserves',
    'lambda-env-too-large': 'Lambda environment variables over 4 KB in total',
    'duplicate-environment': 'two environments with the same name',
    'url-credentials': 'a URL with a user name or password in it',
    'insecure-http': 'a registry on plain http that is not loopback and not `insecure: true`',
    'conflicting-auth': 'registry auth with both a token and a user name/password',
  },
  KUBERNETES: {
    'invalid-tag': 'a tag that is not a valid OCI image tag (`+` included)',
    'invalid-image': 'an image reference that does not parse',
    'unpinned-image': 'an image with no version tag and no digest (or `:latest`)',
    'label-too-long': 'the instance label (service-environment) over 63 characters',
    'invalid-service-name': 'a service name that cannot name a Kubernetes Service (DNS-1035)',
    'reserved-label': 'a label gitopsc sets itself (selectors depend on it)',
    'duplicate-volume': 'a volume declared twice',
    'duplicate-container': 'two containers with the same name',
    'duplicate-port-name': 'two ports of one container with the same name',
    'unknown-port': 'a named port the container does not declare',
    'unknown-volume': 'a volume mount naming an undeclared volume',
    'env-order': 'an env variable referring to one rendered after it',
    'protocol-mismatch': 'a Service protocol other than its container port\'s',
    'node-port-type': 'a nodePort on a Service that is not NodePort or LoadBalancer',
    'conflicting-fields': 'two fields that say the same thing and differ',
    'ingress-port': 'an Ingress backend port with both or neither of number and name',
    'ingress-needs-service': 'an Ingress with no Service to route to',
    'hpa-needs-cpu-request': 'CPU autoscaling with a container that requests no CPU',
    'pdb-blocks': 'a PodDisruptionBudget that allows no disruption',
    'registry-no-host': 'a static registry with no host (the image would come from Docker Hub)',
  },
  PATCH: {
    'targets-nothing': 'a patch whose target matches no rendered resource',
    failed: 'a patch that cannot be applied, changes kind, or brings in an invalid or unpinned image',
  },
} as const;

type Table = typeof REASONS;
/** The reason ids of one code (of each code of a union). */
export type ReasonFor<C> = C extends keyof Table ? keyof Table[C] & string : never;
/** Every reason id. */
export type Reason = ReasonFor<keyof Table>;
