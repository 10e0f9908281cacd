/**
 * A real S3-compatible server on loopback for the staging tests: s3rver (pure JavaScript, so it
 * runs wherever Node does; MinIO binaries cannot be fetched in this build environment). It
 * speaks the S3 REST API the AWS SDK v3 uses (HEAD/PUT/GET object, user metadata), stores
 * objects on disk, and accepts path-style requests. It has no versioning, so version ids are
 * not exercised against it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3Instance {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'gitopsc-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = (await server.run()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
