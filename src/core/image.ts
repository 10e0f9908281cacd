/**
 * Image references as container runtimes parse them (distribution/reference): an optional
 * registry host, a lowercase repository path, a tag of the OCI grammar and/or a digest. Pure.
 */

export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOST = '(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^(?:(${HOST})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([^@/]+))?(?:@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}))?$`);

export interface ImageProblem {
  /** a KUBERNETES (and PATCH) reason */
  reason: 'invalid-tag' | 'invalid-image' | 'unpinned-image';
  message: string;
  hint?: string;
}

/** A problem with a tag, or undefined when it is a valid OCI tag. */
export function tagProblem(tag: string): ImageProblem | undefined {
  if (OCI_TAG.test(tag)) return undefined;
  if (tag.includes('+')) {
    return {
      reason: 'invalid-tag',
      message: `tag "${tag}" is not a valid image tag: OCI tags cannot contain '+'`,
      hint: "semver build metadata ('+build.7') is not allowed in image tags; registries publish such versions with '_' or '-' instead (Helm and Flux use '_'): choose a tag without '+', or exclude them with `ignore: ['\\\\+']`",
    };
  }
  return { reason: 'invalid-tag', message: `tag "${tag}" is not a valid image tag: at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'` };
}

/**
 * A problem with an image reference written in a service file (sidecars, init containers): it
 * must parse, and it must be pinned (a tag other than `latest`, or a digest).
 */
export function imageProblem(ref: string): ImageProblem | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) {
    const hint = /[A-Z]/.test(ref.split(/[:@]/)[0]!.split('/').slice(-1)[0] ?? '') ? 'repository paths are lowercase' : undefined;
    return { reason: 'invalid-image', message: `"${ref}" is not a valid image reference ([host[:port]/]path[:tag][@sha256:...])`, ...(hint ? { hint } : {}) };
  }
  const [, , , tag, digest] = m;
  if (tag !== undefined) {
    const p = tagProblem(tag);
    if (p) return p;
  }
  if (!digest && (tag === undefined || tag === 'latest')) {
    return { reason: 'unpinned-image', message: `image "${ref}" is not pinned: give a version tag or a digest (\`:latest\` and untagged references change under you)` };
  }
  return undefined;
}
