/**
 * The shared data types of the pipeline: where project files come from (a ProjectSource) and
 * what a compile produces. The bottom of the layer graph: every layer may import these.
 */
import type { Diagnostic } from './diagnostics.js';
import type { ReasonFor } from './reasons.js';
import type { PinnedArtifact } from './model.js';

/** Where project files come from: the working tree (fs) or a git revision (objects). */
export interface ProjectSource {
  /** shown in messages only */
  describe: string;
  /**
   * Every file under the project root, project-relative with `/` separators, sorted. A source
   * may leave out the directories in `exclude` (the output directory) to save work.
   */
  list(exclude?: string[]): Promise<string[]>;
  /**
   * A file's bytes, or undefined when absent. A file that exists but cannot be read (or a
   * symbolic link out of the project) throws UnreadableError (src/source/errors.ts).
   */
  read(rel: string): Promise<Uint8Array | undefined>;
  /**
   * `list`, plus what could not be listed (unreadable directories, symbolic links that leave
   * the project or dangle) and the directories seen. Sources that cannot fail this way omit it.
   */
  scan?(exclude?: string[]): Promise<{ files: string[]; problems: SourceProblem[]; dirs: ReadonlySet<string> }>;
  /** Whether a path is a file or a directory (undefined: absent). Throws UnreadableError like `read`. */
  kind?(rel: string): Promise<'file' | 'dir' | undefined>;
}

/** A path the source could not list: project-relative, with a message naming it. */
export interface SourceProblem {
  path: string;
  /** a directory (or a link to one): whatever lies below it is unknown; undefined: either */
  directory?: boolean;
  /** the FILESYSTEM reason (unreadable when not set) */
  reason?: ReasonFor<'FILESYSTEM'>;
  message: string;
}

export interface RenderedFile {
  /** relative to the output dir: `<env>/<service>/<name>` */
  path: string;
  content: string;
  service: string;
  environment: string;
}

export interface ResolvedArtifact extends PinnedArtifact {
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

