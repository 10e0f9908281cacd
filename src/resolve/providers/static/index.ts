/**
 * `type: static`: versions listed in a local catalog file (offline, air-gapped, tests).
 * The catalog is loaded and validated with the project; this provider only answers from it.
 */
import type { VersionInfo } from '../../../core/model.js';
import { joinReference, type Provider, type ProviderContext, type ProviderKind } from '../../provider.js';
import { platformMatches } from '../../select/platform.js';

export function createStatic(ctx: ProviderContext): Provider {
  const catalog = ctx.catalog ?? new Map<string, VersionInfo[]>();
  const host = ctx.config.host;
  return {
    async listTags(pkg) {
      const versions = catalog.get(pkg);
      if (!versions) return { ok: false, failure: { code: 'PACKAGE_NOT_FOUND', reason: 'not-in-catalog', message: `package ${pkg} is not in the static catalog of registry "${ctx.name}"` } };
      return { ok: true, value: versions.map((v) => v.tag) };
    },
    async describe(pkg, tag, need) {
      const versions = catalog.get(pkg) ?? [];
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
    reference: (pkg) => joinReference(host, ctx.config.prefix, pkg),
  };
}

export const staticProvider: ProviderKind = {
  id: 'static',
  create: createStatic,
};
