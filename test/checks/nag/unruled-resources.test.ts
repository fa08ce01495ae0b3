import { endpointSupportsKms } from '../../../lib/config/validate';
import { NAG_CONFIGURATIONS, NagConfiguration, SynthesizedApp, synthApp } from '../../harness/nag-stages';

/**
 * cdk-nag has no rules for SageMaker models and endpoint configs or for CloudTrail Lake and trails, so the
 * properties a security review asks of them are asserted here, for every configuration the nag
 * suite checks plus one whose instance type has local NVMe storage (no KMS key allowed there).
 */
const CONFIGURATIONS: Record<string, NagConfiguration> = {
  ...NAG_CONFIGURATIONS,
  'prod on NVMe instances': { stage: 'prod', overrides: { 'endpoint.capacity.instanceType': 'ml.m5d.large' } },
  // The lake backend, for accounts that had CloudTrail Lake before 2026-05-31.
  'prod on CloudTrail Lake': { stage: 'prod', overrides: { 'audit.backend': 'lake' } },
};

function only(template: any, type: string): { id: string; resource: any } {
  const found = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === type);
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

function statementsOfRole(template: any, roleId: string): any[] {
  const statements: any[] = [];
  for (const r of Object.values<any>(template.Resources)) {
    if (r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
      statements.push(...r.Properties.PolicyDocument.Statement);
  }
  for (const inline of template.Resources[roleId].Properties.Policies ?? []) statements.push(...inline.PolicyDocument.Statement);
  return statements;
}

const actionsOf = (s: any): string[] => [s.Action].flat();

/** Everything the endpoint's execution role may ever do, by reason. */
const EXECUTION_ROLE_ACTIONS = new Set([
  // its own container log group
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'logs:DescribeLogStreams',
  // instance metrics, namespace-conditioned
  'cloudwatch:PutMetricData',
  // pull its image
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
  // read its artifact, write its data capture, encrypt the capture
  's3:GetObject',
  's3:PutObject',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  // auto-rollback: read its own rollback alarms (deployment-guardrails-configuration.html)
  'cloudwatch:DescribeAlarms',
  // network.vpc: attach the instances to the subnets; the list of SageMaker's VPC guide (host-vpc.html)
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeDhcpOptions',
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
]);

describe.each(Object.entries(CONFIGURATIONS))('SageMaker and CloudTrail Lake, %s', (_name, configuration) => {
  const synthesized: SynthesizedApp = synthApp(configuration);
  const { config, pipeline, templates } = synthesized;
  const endpoint = templates[pipeline.endpoint.stackName];
  const data = templates[pipeline.data.stackName];
  const dataKey = expect.objectContaining({
    'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringContaining('DataKey') }),
  });

  test('the endpoint config is encrypted with the stage key wherever the instance type allows a key', () => {
    const { resource } = only(endpoint, 'AWS::SageMaker::EndpointConfig');
    if (endpointSupportsKms(config)) {
      expect(resource.Properties.KmsKeyId).toEqual(dataKey);
    } else {
      // Serverless capacity and NVMe instance storage refuse a key (SageMaker encrypts NVMe itself).
      expect(resource.Properties.KmsKeyId).toBeUndefined();
      expect(
        config.endpoint.capacity.mode === 'serverless' ||
          /^ml\.m5d\./.test((config.endpoint.capacity as { instanceType: string }).instanceType),
      ).toBe(true);
    }
  });

  test('the execution role is trusted by SageMaker only, carries no managed policy, and may do only what serving this model needs', () => {
    const model = only(endpoint, 'AWS::SageMaker::Model').resource;
    const roleId = model.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const role = endpoint.Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(endpoint, roleId);
    expect(statements.flatMap(actionsOf).filter((a) => !EXECUTION_ROLE_ACTIONS.has(a))).toEqual([]);
    // S3: the one artifact object, and writes under the capture prefix only.
    for (const s of statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')))) {
      const resource = JSON.stringify(s.Resource);
      if (actionsOf(s).includes('s3:GetObject')) expect(resource).toMatch(/\/[a-f0-9]{64}\.gz"|\.tar\.gz"/);
      else expect(resource).toContain('/datacapture/*');
    }
    // EC2 writes are limited to the network interfaces in the pipeline's subnets and group.
    for (const s of statements.filter((st) => actionsOf(st).includes('ec2:CreateNetworkInterface'))) {
      const resources = [s.Resource].flat().map((r) => JSON.stringify(r));
      expect(resources.filter((r) => r.includes(':network-interface/*'))).toHaveLength(1);
      expect(resources.filter((r) => r.includes(':subnet/') && r.includes('NetworkVpcisolatedSubnet'))).toHaveLength(2);
      expect(resources.filter((r) => r.includes(':security-group/') && r.includes('NetworkModelSecurityGroup'))).toHaveLength(1);
      expect(resources).toHaveLength(4);
    }
  });

  test('network isolation follows the configuration, and prod isolates the container', () => {
    const model = only(endpoint, 'AWS::SageMaker::Model').resource;
    expect(model.Properties.EnableNetworkIsolation).toBe(config.endpoint.networkIsolation);
    if (config.stage === 'prod') expect(model.Properties.EnableNetworkIsolation).toBe(true);
  });

  test('data capture, when on, is encrypted with the stage key into a TLS-only, private, logged bucket', () => {
    const endpointConfig = only(endpoint, 'AWS::SageMaker::EndpointConfig').resource;
    const capture = endpointConfig.Properties.DataCaptureConfig;
    if (!config.endpoint.dataCapture.enabled) {
      expect(capture).toBeUndefined();
      return;
    }
    expect(capture.KmsKeyId).toEqual(dataKey);
    const bucketId = capture.DestinationS3Uri['Fn::Join'][1][1].Ref;
    const bucket = endpoint.Resources[bucketId].Properties;
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: dataKey,
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LoggingConfiguration.DestinationBucketName).toEqual({
      'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringContaining('AccessLogsBucket') }),
    });
    const policy = Object.values<any>(endpoint.Resources).find(
      (r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === bucketId,
    );
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // The capture key is the data key, which the data stack rotates.
    expect(only(data, 'AWS::KMS::Key').resource.Properties.EnableKeyRotation).toBe(true);
  });

  test('the trail (trail backend) has log file validation and delivers to its own rotating key and a versioned Object Lock bucket', () => {
    if (!pipeline.audit) throw new Error('audit is enabled in every configuration checked here');
    const audit = templates[pipeline.audit.stackName];
    if (config.audit.backend !== 'trail') {
      expect(Object.values<any>(audit.Resources).filter((r) => r.Type === 'AWS::CloudTrail::Trail')).toEqual([]);
      return;
    }
    const trail = only(audit, 'AWS::CloudTrail::Trail').resource.Properties;
    expect(trail).toMatchObject({ EnableLogFileValidation: true, IsLogging: true, IncludeGlobalServiceEvents: true });
    const key = audit.Resources[trail.KMSKeyId['Fn::GetAtt'][0]];
    expect(key).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    const bucket = audit.Resources[trail.S3BucketName.Ref];
    expect(bucket).toMatchObject({
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: config.audit.trail.objectLockMode, Days: config.audit.retentionDays } },
        },
      },
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual(
      trail.KMSKeyId,
    );
    if (config.stage === 'prod') expect(config.audit.trail.objectLockMode).toBe('COMPLIANCE');
    const workGroup = only(audit, 'AWS::Athena::WorkGroup').resource.Properties.WorkGroupConfiguration;
    expect(workGroup).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } },
    });
  });

  test('the event data store (lake backend) is encrypted with its own rotating key, with termination protection as configured', () => {
    if (!pipeline.audit) throw new Error('audit is enabled in every configuration checked here');
    const audit = templates[pipeline.audit.stackName];
    if (config.audit.backend !== 'lake') {
      expect(Object.values<any>(audit.Resources).filter((r) => r.Type === 'AWS::CloudTrail::EventDataStore')).toEqual([]);
      return;
    }
    const store = only(audit, 'AWS::CloudTrail::EventDataStore');
    const keyId = store.resource.Properties.KmsKeyId['Fn::GetAtt'][0];
    expect(store.resource.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const key = audit.Resources[keyId];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(store.resource.Properties.TerminationProtectionEnabled).toBe(config.audit.terminationProtection);
    if (config.stage === 'prod') {
      expect(store.resource.Properties.TerminationProtectionEnabled).toBe(true);
      // The key cannot be replaced once in use: it stays with the store.
      expect(store.resource.DeletionPolicy).toBe('Retain');
      expect(key.DeletionPolicy).toBe('Retain');
    } else {
      expect(store.resource.Properties.TerminationProtectionEnabled).toBe(false);
    }
  });
});
