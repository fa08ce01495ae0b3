import { Arn, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Where the model container image comes from, and what the execution role needs to pull it. */
export abstract class ModelImage {
  /** A local Dockerfile folder, built and pushed as a CDK image asset at deploy time. */
  static fromAsset(directory: string): ModelImage {
    return new AssetImage(directory);
  }

  /**
   * An image already in ECR, in this account or another: AWS's prebuilt framework images live
   * in AWS-owned accounts, so the role is granted pull on that exact repository.
   */
  static fromUri(imageUri: string): ModelImage {
    return new UriImage(imageUri);
  }

  /** Returns the image URI for the model and grants `role` permission to pull it. */
  abstract bind(scope: Construct, role: iam.IRole): string;
}

class AssetImage extends ModelImage {
  constructor(private readonly directory: string) {
    super();
  }

  bind(scope: Construct, role: iam.IRole): string {
    const asset = new DockerImageAsset(scope, 'ImageAsset', {
      directory: this.directory,
      // SageMaker hosting instances run x86_64 unless a Graviton type is chosen.
      platform: Platform.LINUX_AMD64,
    });
    asset.repository.grantPull(role);
    return asset.imageUri;
  }
}

class UriImage extends ModelImage {
  constructor(private readonly imageUri: string) {
    super();
  }

  bind(scope: Construct, role: iam.IRole): string {
    const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(this.imageUri);
    if (!match) throw new Error(`model image '${this.imageUri}' is not an ECR image uri`);
    const [, account, region, repositoryName] = match;
    const repositoryArn = Arn.format(
      { service: 'ecr', account, region, resource: 'repository', resourceName: repositoryName },
      Stack.of(scope),
    );
    ecr.Repository.fromRepositoryAttributes(scope, 'ImageRepository', { repositoryArn, repositoryName }).grantPull(role);
    return this.imageUri;
  }
}
