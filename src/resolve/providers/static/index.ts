/**
 * `type: static`: versions listed in a local catalog file (offline, air-gapped, tests).
 * The catalog is loaded and validated with the project; this provider only answers from it.
 */
import type { VersionInfo } from '../../../core/model.js';
import type { Provider, ProviderContext, ProviderKind } from '../../provider.js';

export interface StaticContext extends ProviderContext {
  catalog: Map<string, VersionInfo[]>;
}

function platformMatches(want: string, p: { os: string; architecture: string; variant?: string }): boolean {
  const [os, arch, variant] = want.split('/');
  return p.os === os && p.architecture === arch && (variant === undefined || p.variant === variant);
}

export function createStatic(ctx: StaticContext): Provider {
  const host = ctx.config.host;
  return {
    async listTags(pkg) {
      const versions = ctx.catalog.get(pkg);
      if (!versions) return { ok: false, failure: { code: 'PACKAGE_NOT_FOUND', reason: 'not-in-catalog', message: `package ${pkg} is not in the static catalog of registry "${ctx.name}"` } };
      return { ok: true, value: versions.map((v) => v.tag) };
    },
    async describe(pkg, tag, need) {
      const versions = ctx.catalog.get(pkg) ?? [];
      // several entries with one tag: the last one wins, as a registry would overwrite a tag
      const v = versions.filter((x) => x.tag === tag).pop();
      if (!v) return { ok: false, failure: { code: 'TAG_NOT_FOUND', reason: 'not-in-catalog', message: `tag ${tag} of ${pkg} is not in the static catalog of registry "${ctx.name}"` } };
      const out: VersionInfo = { ...v };
      const created = v.annotations?.['org.opencontainers.image.created'];
      if (created) out.created = created;
      if (need.platform && v.platforms) {
        const child = v.platforms.find((p) => platformMatches(need.platform!, p));
        if (child?.digest) out.digest = child.digest;
      }
      return { ok: true, value: out };
    },
    reference(pkg) {
      const path = ctx.config.prefix ? `${ctx.config.prefix}/${pkg}` : pkg;
      return host ? `${host}/${path}` : path;
    },
  };
}

export const staticProvider: ProviderKind = {
  id: 'static',
  create: (ctx) => createStatic(ctx as StaticContext),
};
