/**
 * A target is one folder, `src/targets/<id>/`, whose `plugin.ts` says everything the rest of
 * gitopsc asks about it (`TargetPlugin`), registered in the one map `src/targets/index.ts`.
 * A service renders for the one target whose key it has under `spec` (`spec.<id>`).
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { ProjectConfig } from '../core/model.js';
import type { Project, ServiceDecl } from '../project/types.js';
import type { RenderUnit } from '../render/unit.js';
import type { Shape } from '../render/shape-kit.js';
import type { TargetSchemaFragment } from '../validate/plugin-schema.js';

/** What every target's template context shares, handed to its view. */
export interface SharedContext {
  /** `reference:tag[@digest]` */
  image: string;
  /** the standard labels (app.kubernetes.io/*) over the service's own */
  labels: Record<string, string>;
  selectorLabels: Record<string, string>;
}

export interface TargetPlugin {
  /** `spec.<id>` in a service file, `templates/<id>/` of a project */
  id: string;
  /** what it renders, for messages: `a Kubernetes workload` */
  title: string;
  /**
   * Its part of the service schema (`spec.<id>`, its per-environment override, definitions):
   * the shipped schemas/service.schema.json is generated from these (`npm run schemas`).
   * Loaded only by the generator and by run-time registration.
   */
  schema(): Promise<TargetSchemaFragment>;
  /** Directory of its built-in templates (`<name>.hbs`; a subdirectory is one output set, `_all` for every set). */
  templates: URL;
  /** The output set a top-level built-in template belongs to, when the target has sets (lambda: `aws-cli`). */
  defaultOutput?: string;
  /** What a render unit of this target carries besides the shared fields (patches, outputs, its config). */
  unit(input: { project: Project; decl: ServiceDecl; env: string; spec: Record<string, unknown>; package: string }): Partial<RenderUnit>;
  /** Its view of the template context (`k8s`, `lambda`): the keys added beside service, environment, artifact and spec. */
  view(u: RenderUnit, shared: SharedContext): Record<string, unknown>;
  /** The shape of that view (`gitopsc context`, validate's static check of template paths). */
  viewShape(): Record<string, Shape>;
  /** Cross-object checks of one service over its environments (names, ports, references). */
  checkService?(decl: ServiceDecl, environments: readonly string[], config: ProjectConfig): Diagnostic[];
  /** Whole-project checks (resolve, render, validate). */
  checkProject?(project: Project): Diagnostic[];
  /** Where its files go, relative to the output directory's parent (lambda: `output.lambdaDir`); default the output directory. */
  outputPrefix?(project: Project): string;
  traits?: {
    /** the artifact is an OCI image referenced by tag: a tag outside the OCI grammar is refused at render */
    imageTag?: boolean;
    /** `format: file` artifacts are refused (a workload needs an image) */
    needsImage?: boolean;
    /** listed in generated kustomizations (`output.kustomization`) */
    kustomize?: boolean;
    /** rendered files are checked against the Kubernetes API schema and CRDs */
    manifestCheck?: boolean;
  };
}
