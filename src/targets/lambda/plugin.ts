/**
 * `spec.lambda`: AWS Lambda functions, in the output sets the config chooses (`lambda.outputs`).
 * What gitopsc knows of this target (see ../types.ts `TargetPlugin`).
 */
import { DEFAULT_LAMBDA_OUTPUTS, lambdaTarget, lambdaView, type LambdaTarget } from '../../render/lambda.js';
import { leaf, list, map, obj } from '../../render/shape-kit.js';
import type { TargetPlugin } from '../types.js';
import { checkLambdaImages } from './check.js';

export const plugin: TargetPlugin = {
  id: 'lambda',
  title: 'a Lambda function',
  schema: async () => (await import('./schema.js')).schema,
  templates: new URL('../../../templates/lambda/', import.meta.url),
  defaultOutput: 'aws-cli',
  unit({ project, env, spec, package: pkg }) {
    const lambda = lambdaTarget(project.config, env, spec, pkg);
    return { lambda, outputs: lambda.outputs };
  },
  view: (u) => ({
    lambda: lambdaView({
      service: u.service,
      environment: u.environment.name,
      spec: u.spec,
      format: u.artifact.format,
      package: u.artifact.package,
      file: u.artifact.file,
      reference: u.artifact.reference,
      lock: u.lock,
      labels: u.labels,
      target: u.lambda ?? ({ outputs: [...DEFAULT_LAMBDA_OUTPUTS], aws: {} } satisfies LambdaTarget),
    }),
  }),
  viewShape: () => ({
    lambda: obj({
      zip: leaf,
      packageType: leaf,
      code: obj({ S3Bucket: leaf, S3Key: leaf, S3ObjectVersion: leaf, ImageUri: leaf }),
      s3: obj({ bucket: leaf, key: leaf, objectVersion: leaf }),
      imageUri: leaf,
      codeSha256: leaf,
      architectures: list(leaf),
      platform: leaf,
      variables: map(),
      layers: list(leaf),
      tags: map(),
      tagList: list(obj({ Key: leaf, Value: leaf })),
      publish: leaf,
      alias: obj({ name: leaf, description: leaf, functionVersion: leaf }),
      region: leaf,
      account: leaf,
      outputs: list(leaf),
      versionDescription: leaf,
      ack: obj({ aliasName: leaf, versionName: leaf }),
    }),
  }),
  checkProject: checkLambdaImages,
  outputPrefix: (project) => (project.lambdaDir ? `${project.lambdaDir}/` : ''),
};
