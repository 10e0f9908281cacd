/** One service in one environment, as the render stage and every target's view see it. */
import type { LockEntry } from '../core/model.js';
import type { UnitPatch } from './kubernetes/apply-patches.js';
import type { LambdaTarget } from './lambda.js';

export interface RenderUnit {
  service: string;
  /** project-relative service file, for diagnostics */
  file: string;
  environment: { name: string; production: boolean };
  labels: Record<string, string>;
  /** the target's id (`spec.<id>`): src/targets/<id>/ */
  target: string;
  /** the target block after the environment's overrides are merged */
  spec: Record<string, unknown>;
  artifact: {
    registry: string;
    package: string;
    format: 'image' | 'file';
    file?: string;
    /** host[:port][/prefix]/package */
    reference: string;
  };
  lock: LockEntry;
  /** Kubernetes patches, the service's then the environment's, with their positions */
  patches?: UnitPatch[];
  /** where a `spec.kubernetes`-relative path is written in the service file (not part of the cache key) */
  source?: (rel: readonly (string | number)[]) => { line: number; column: number } | undefined;
  /** Lambda only: outputs, AWS region/account and ECR mirror from the config */
  lambda?: LambdaTarget;
  /** the output sets rendered, for a target whose built-ins come in sets (lambda: `aws-cli`, `ack`, ...) */
  outputs?: readonly string[];
  /** rendered files are checked against the Kubernetes API schema (the kubernetes target) */
  manifestCheck?: boolean;
  /** what a target added by a plug-in carries for its view */
  data?: Record<string, unknown>;
}
