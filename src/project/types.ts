import type { LoadedDoc } from '../load/types.js';
import type { ProjectConfig, ServiceFile, VersionInfo } from '../core/model.js';

/** A loaded, schema-valid project. */
export interface Project {
  configFile: string;
  /** present for YAML/JSON configs: positions for diagnostics */
  configDoc?: LoadedDoc;
  /** path prefix of the config inside configDoc (package.json: ["gitopsc"]) */
  configPath: string[];
  config: ProjectConfig;
  environments: { name: string; production: boolean }[];
  outputDir: string;
  /** Lambda output root, relative to outputDir (output.lambdaDir) */
  lambdaDir?: string;
  /** output.kustomization: write kustomization.yaml per environment and service */
  kustomization?: boolean;
  lockFile: string;
  templatesDir?: string;
  /** CRD files for checking custom resources (config kubernetes.crds) */
  crdsDir?: string;
  services: ServiceDecl[];
  /** static catalogs by registry name */
  catalogs: Map<string, Map<string, VersionInfo[]>>;
}

export interface ServiceDecl {
  name: string;
  file: string;
  doc: LoadedDoc;
  data: ServiceFile;
}
