/**
 * The one platform rule (containerd's `platforms.Normalize` + match), used by the selection
 * engine, every provider (static catalogs, OCI indexes, HAR through OCI) and `gitopsc stage`:
 *
 * - os compared case-insensitively; a Windows child's `os.version` is ignored (a request
 *   `os/arch[/variant]` cannot name one);
 * - architecture through its aliases: `x86_64`/`x86-64` = `amd64`, `aarch64` = `arm64`,
 *   `armhf` = `arm/v7`, `armel` = `arm/v6`;
 * - variants normalised: `8`, `v8` on arm64 = `v8` (the default when missing), `7` on arm = `v7`
 *   (the default), `v1` on amd64 (the default);
 * - a requested variant must equal the child's (normalised) variant; a request without a
 *   variant matches every variant of its os and architecture.
 *
 * Pure; no I/O.
 */
import type { PlatformInfo } from '../../core/model.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  /** the text as written (for messages) */
  text: string;
}

const PLATFORM_RE = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)(?:\/([A-Za-z0-9_.-]+))?$/;

/** `os/arch[/variant]`; undefined if malformed. */
export function parsePlatform(text: string): Platform | undefined {
  const m = PLATFORM_RE.exec(text);
  if (!m) return undefined;
  return { os: (m[1] as string).toLowerCase(), architecture: (m[2] as string).toLowerCase(), ...(m[3] ? { variant: m[3].toLowerCase() } : {}), text };
}

const ARCH_ALIASES: Record<string, { arch: string; variant?: string }> = {
  x86_64: { arch: 'amd64' },
  'x86-64': { arch: 'amd64' },
  aarch64: { arch: 'arm64' },
  armhf: { arch: 'arm', variant: 'v7' },
  armel: { arch: 'arm', variant: 'v6' },
};
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7', amd64: 'v1' };

/** The normalised architecture and variant (the variant's default filled in where one exists). */
export function normalizeArch(architecture: string, variant?: string): { architecture: string; variant?: string } {
  const a = architecture.toLowerCase();
  const alias = ARCH_ALIASES[a];
  const arch = alias?.arch ?? a;
  let v = variant?.toLowerCase() || alias?.variant;
  if (v !== undefined && /^[0-9]/.test(v)) v = `v${v.replace(/\.0$/, '')}`;
  if (v === 'v8.0') v = 'v8';
  v ??= DEFAULT_VARIANT[arch];
  return v === undefined ? { architecture: arch } : { architecture: arch, variant: v };
}

/** Whether a child platform (an index entry, a catalog platform) runs what `want` asks for. */
export function platformMatches(want: Platform | string, p: Pick<PlatformInfo, 'os' | 'architecture' | 'variant'>): boolean {
  const w = typeof want === 'string' ? parsePlatform(want) : want;
  if (!w) return false;
  if (typeof p?.os !== 'string' || typeof p.architecture !== 'string') return false;
  if (p.os.toLowerCase() !== w.os) return false;
  const have = normalizeArch(p.architecture, typeof p.variant === 'string' ? p.variant : undefined);
  const asked = normalizeArch(w.architecture, w.variant);
  if (have.architecture !== asked.architecture) return false;
  // a request without a variant (after an alias that carries none) takes every variant
  const explicit = w.variant !== undefined || ARCH_ALIASES[w.architecture]?.variant !== undefined;
  return !explicit || have.variant === asked.variant;
}

/** The children that match, in their order (the first one is what a provider pins). */
export function matchingPlatforms<T extends Pick<PlatformInfo, 'os' | 'architecture' | 'variant'>>(want: Platform | string, children: readonly T[]): T[] {
  return children.filter((c) => platformMatches(want, c));
}
