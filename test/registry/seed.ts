/**
 * Seeds a real registry through its own push API (no docker): blobs (POST + PUT), configs with
 * labels and `created`, OCI and Docker schema2 manifests, multi-arch indexes and zip artifacts.
 */
import { createHash } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export interface ImageSpec {
  labels?: Record<string, string>;
  /** config `created` */
  created?: string;
  /** manifest annotations (e.g. org.opencontainers.image.created) */
  annotations?: Record<string, string>;
  os?: string;
  architecture?: string;
  variant?: string;
  format?: 'oci' | 'docker';
  /** makes otherwise identical images distinct */
  salt?: string;
}

export interface Pushed {
  digest: string;
  mediaType: string;
  configDigest?: string;
  body: Buffer;
}

export class Seeder {
  requests = 0;
  private readonly known = new Map<string, Set<string>>();
  constructor(
    readonly url: string,
    private readonly auth?: { username: string; password: string },
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.auth) h.authorization = 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
    return h;
  }

  private async call(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    this.requests++;
    const res = await fetch(url, { method, headers: this.headers(headers), ...(body ? { body } : {}) });
    return res;
  }

  async pushBlob(repo: string, data: Buffer | string): Promise<string> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const digest = sha256(buf);
    const set = this.known.get(repo) ?? new Set<string>();
    this.known.set(repo, set);
    if (set.has(digest)) return digest;
    const start = await this.call('POST', `${this.url}/v2/${repo}/blobs/uploads/`);
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`blob upload start ${repo}: HTTP ${start.status}`);
    const loc = new URL(start.headers.get('location')!, this.url);
    loc.searchParams.set('digest', digest);
    const put = await this.call('PUT', loc.href, buf, { 'content-type': 'application/octet-stream' });
    const text = await put.text();
    if (put.status !== 201) throw new Error(`blob upload ${repo} ${digest}: HTTP ${put.status} ${text}`);
    set.add(digest);
    return digest;
  }

  async pushManifest(repo: string, ref: string, manifest: unknown, mediaType: string): Promise<Pushed> {
    const body = Buffer.from(JSON.stringify(manifest));
    const res = await this.call('PUT', `${this.url}/v2/${repo}/manifests/${ref}`, body, { 'content-type': mediaType });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest ${repo}:${ref}: HTTP ${res.status} ${text}`);
    const digest = sha256(body);
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) throw new Error(`manifest digest mismatch ${header} != ${digest}`);
    return { digest, mediaType, body };
  }

  /** Deletes a manifest by digest (and so every tag on it). */
  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.call('DELETE', `${this.url}/v2/${repo}/manifests/${digest}`);
    const text = await res.text();
    if (res.status !== 202) throw new Error(`delete ${repo}@${digest}: HTTP ${res.status} ${text}`);
  }

  /** Pushes an image (config + one layer) and tags it with every tag given. */
  async pushImage(repo: string, tags: string[], spec: ImageSpec = {}): Promise<Pushed> {
    const docker = spec.format === 'docker';
    const config = {
      ...(spec.created ? { created: spec.created } : {}),
      architecture: spec.architecture ?? 'amd64',
      os: spec.os ?? 'linux',
      ...(spec.variant ? { variant: spec.variant } : {}),
      config: { Labels: spec.labels ?? {}, Env: [`SALT=${spec.salt ?? ''}`] },
      rootfs: { type: 'layers', diff_ids: [sha256('layer')] },
    };
    const configBuf = Buffer.from(JSON.stringify(config));
    const configDigest = await this.pushBlob(repo, configBuf);
    const layer = Buffer.from('layer');
    const layerDigest = await this.pushBlob(repo, layer);
    const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
    const manifest = {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configBuf.length },
      layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
      ...(spec.annotations && !docker ? { annotations: spec.annotations } : {}),
    };
    let pushed: Pushed | undefined;
    for (const tag of tags) pushed = await this.pushManifest(repo, tag, manifest, mediaType);
    if (!pushed) pushed = await this.pushManifest(repo, sha256(JSON.stringify(manifest)), manifest, mediaType);
    return { ...pushed, configDigest };
  }

  /** Pushes each platform image by digest, then an index (OCI) or manifest list (docker) under the tags. */
  async pushIndex(repo: string, tags: string[], platforms: ImageSpec[], opts: { format?: 'oci' | 'docker'; annotations?: Record<string, string> } = {}): Promise<Pushed & { children: Pushed[] }> {
    const docker = opts.format === 'docker';
    const children: Pushed[] = [];
    for (const p of platforms) children.push(await this.pushImage(repo, [], { ...p, format: docker ? 'docker' : 'oci' }));
    const mediaType = docker ? DOCKER_LIST : OCI_INDEX;
    const index = {
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c, i) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: c.body.length,
        platform: { os: platforms[i]!.os ?? 'linux', architecture: platforms[i]!.architecture ?? 'amd64', ...(platforms[i]!.variant ? { variant: platforms[i]!.variant } : {}) },
      })),
      ...(opts.annotations && !docker ? { annotations: opts.annotations } : {}),
    };
    let pushed: Pushed | undefined;
    for (const tag of tags) pushed = await this.pushManifest(repo, tag, index, mediaType);
    return { ...pushed!, children };
  }

  /** An OCI 1.1 artifact: artifactType, empty config, one layer titled `fileName`. */
  async pushFileArtifact(
    repo: string,
    tags: string[],
    file: { name: string; content: Buffer | string; mediaType?: string },
    opts: { artifactType?: string; created?: string; annotations?: Record<string, string>; customConfig?: Record<string, unknown> } = {},
  ): Promise<Pushed & { fileDigest: string }> {
    const content = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
    const fileDigest = await this.pushBlob(repo, content);
    let config: { mediaType: string; digest: string; size: number };
    if (opts.customConfig) {
      const buf = Buffer.from(JSON.stringify(opts.customConfig));
      config = { mediaType: 'application/vnd.acme.lambda.config.v1+json', digest: await this.pushBlob(repo, buf), size: buf.length };
    } else {
      const empty = Buffer.from('{}');
      config = { mediaType: 'application/vnd.oci.empty.v1+json', digest: await this.pushBlob(repo, empty), size: 2 };
    }
    const annotations = { ...(opts.created ? { 'org.opencontainers.image.created': opts.created } : {}), ...(opts.annotations ?? {}) };
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      ...(opts.customConfig ? {} : { artifactType: opts.artifactType ?? 'application/vnd.acme.lambda.v1' }),
      config,
      layers: [{ mediaType: file.mediaType ?? 'application/zip', digest: fileDigest, size: content.length, annotations: { 'org.opencontainers.image.title': file.name } }],
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    let pushed: Pushed | undefined;
    for (const tag of tags) pushed = await this.pushManifest(repo, tag, manifest, OCI_MANIFEST);
    return { ...pushed!, fileDigest };
  }

  /** Many tags, each its own image (own config with `created`), with bounded concurrency. */
  async pushMany(repo: string, tags: string[], spec: (tag: string, i: number) => ImageSpec, concurrency = 4): Promise<Map<string, Pushed>> {
    const out = new Map<string, Pushed>();
    let next = 0;
    await this.pushBlob(repo, 'layer');
    const worker = async () => {
      while (next < tags.length) {
        const i = next++;
        const tag = tags[i]!;
        out.set(tag, await this.pushImage(repo, [tag], { salt: tag, ...spec(tag, i) }));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
  }
}
