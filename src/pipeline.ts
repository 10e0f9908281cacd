/**
 * The compiler pipeline as one pure-ish orchestration over a ProjectSource:
 * load config -> load services -> validate -> check -> (resolve) -> render -> plan.
 * The lead engineer owns this file. Types are stable; bodies land incrementally.
 */
import type { Diagnostic } from './diagnostics.js';

/** Where project files come from: the working tree (fs) or a git revision (objects). */
export interface ProjectSource {
  /** shown in messages only */
  describe: string;
  /** Every file under the project root, project-relative with `/` separators, sorted. */
  list(): Promise<string[]>;
  /** A file's bytes, or undefined when absent. */
  read(rel: string): Promise<Uint8Array | undefined>;
}

export interface RenderedFile {
  /** relative to the output dir: `<env>/<service>/<name>` */
  path: string;
  content: string;
  service: string;
  environment: string;
}

export interface ResolvedArtifact {
  service: string;
  environment: string;
  registry: string;
  package: string;
  tag: string;
  digest?: string;
  fileDigest?: string;
  /** the rendered reference: host/prefix/package:tag@digest */
  image: string;
}

export interface CompileResult {
  diagnostics: Diagnostic[];
  /** project-relative output dir from the config (default `rendered`) */
  outputDir: string;
  /** environments the config declares, in order */
  environments: string[];
  files: RenderedFile[];
  artifacts: ResolvedArtifact[];
}
