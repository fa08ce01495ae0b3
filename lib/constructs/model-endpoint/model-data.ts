import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/** Where the model artifact (`model.tar.gz`) comes from, and the read grant it needs. */
export abstract class ModelData {
  /** A local `.tar.gz` file, uploaded as a CDK file asset at deploy time. */
  static fromAsset(filePath: string): ModelData {
    return new AssetData(filePath);
  }

  /** An artifact already in S3: `s3://bucket/key.tar.gz`. */
  static fromS3Url(url: string): ModelData {
    return new S3Data(url);
  }

  /** Returns the S3 URL for the model and grants `role` read access to exactly that object. */
  abstract bind(scope: Construct, role: iam.IRole): string;
}

class AssetData extends ModelData {
  constructor(private readonly filePath: string) {
    super();
  }

  bind(scope: Construct, role: iam.IRole): string {
    const asset = new Asset(scope, 'ModelDataAsset', { path: this.filePath });
    grantGetObject(role, asset.bucket.arnForObjects(asset.s3ObjectKey));
    return asset.s3ObjectUrl;
  }
}

class S3Data extends ModelData {
  constructor(private readonly url: string) {
    super();
  }

  bind(scope: Construct, role: iam.IRole): string {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(this.url);
    if (!match) throw new Error(`model data '${this.url}' is not an s3:// url`);
    const [, bucketName, key] = match;
    grantGetObject(role, s3.Bucket.fromBucketName(scope, 'ModelDataBucket', bucketName).arnForObjects(key));
    return this.url;
  }
}

/**
 * SageMaker downloads the one `.tar.gz` object with the execution role; the bucket's other
 * objects (for an asset, every asset of the account) and its listing stay out of reach.
 */
function grantGetObject(role: iam.IRole, objectArn: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadModelArtifact', actions: ['s3:GetObject'], resources: [objectArn] }));
}
