import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ModelData } from '../../../lib/constructs/model-endpoint/model-data';
import { PipelineNetwork } from '../../../lib/constructs/pipeline-network';
import { ModelEndpoint } from '../../../lib/constructs/model-endpoint/model-endpoint';
import { ModelImage } from '../../../lib/constructs/model-endpoint/model-image';
import { actionsOf, statementsOfRole, synthStage } from '../../harness/synth';

/** `network.vpc=true`: functions and endpoint in isolated subnets, AWS reached through VPC endpoints only. */
describe('network.vpc on a prod stage', () => {
  const { data, api, endpoint } = synthStage('prod', { 'network.vpc': 'true' });

  test('the data stack holds a VPC with isolated subnets in two zones and no way out: no internet gateway, no NAT', () => {
    data.resourceCountIs('AWS::EC2::VPC', 1);
    data.resourceCountIs('AWS::EC2::Subnet', 2);
    data.allResourcesProperties('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
    });
    const zones = Object.values(data.findResources('AWS::EC2::Subnet')).map((s) => JSON.stringify(s.Properties.AvailabilityZone));
    expect(new Set(zones).size).toBe(2);
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) data.resourceCountIs(type, 0);
    // Rejected traffic is logged, with the stage's retention.
    data.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', ResourceType: 'VPC' });
    data.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('DynamoDB and S3 through gateway endpoints; SageMaker runtime, CloudWatch Logs and X-Ray through interface endpoints', () => {
    const endpoints = Object.values(data.findResources('AWS::EC2::VPCEndpoint'));
    const byService = (suffix: string) =>
      endpoints.filter(
        (e) =>
          JSON.stringify(e.Properties.ServiceName).endsWith(`${suffix}"]]}`) ||
          JSON.stringify(e.Properties.ServiceName).endsWith(`${suffix}"`),
      );
    for (const gateway of ['.dynamodb', '.s3']) {
      expect(byService(gateway).map((e) => e.Properties.VpcEndpointType)).toEqual(['Gateway']);
    }
    for (const iface of ['.sagemaker.runtime', '.logs', '.xray']) {
      const [e] = byService(iface);
      expect(e.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
      expect(e.Properties.SubnetIds).toHaveLength(2);
      expect(e.Properties.SecurityGroupIds).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^NetworkEndpointSecurityGroup/), 'GroupId'] },
      ]);
    }
    expect(endpoints).toHaveLength(5);
  });

  test('security groups allow HTTPS only: workloads out on 443, interface endpoints in on 443 from the workloads only', () => {
    const groups = data.findResources('AWS::EC2::SecurityGroup');
    const group = (prefix: string) => Object.entries(groups).find(([id]) => id.startsWith(prefix))!;
    for (const workload of ['NetworkFunctionSecurityGroup', 'NetworkModelSecurityGroup']) {
      const [, sg] = group(workload);
      expect(sg.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
      ]);
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    }
    const [endpointSgId, endpointSg] = group('NetworkEndpointSecurityGroup');
    // CDK's placeholder for "no egress at all".
    expect(endpointSg.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
    const ingress = Object.values(data.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule.Properties).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        GroupId: { 'Fn::GetAtt': [endpointSgId, 'GroupId'] },
      });
      expect(rule.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/^Network(Function|Model)SecurityGroup/);
    }
    // The VPC's default group is stripped of its rules.
    data.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test("the prediction and read functions run in the isolated subnets with the functions' group; their roles manage interfaces there only", () => {
    for (const name of ['inference-prod-predict', 'inference-prod-read']) {
      api.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: name,
        VpcConfig: {
          SubnetIds: [
            { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkVpcisolatedSubnet1') }) },
            { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkVpcisolatedSubnet2') }) },
          ],
          SecurityGroupIds: [
            { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkFunctionSecurityGroup') }) },
          ],
        },
      });
    }
    for (const role of ['PredictFunction', 'ReadFunction']) {
      const statements = statementsOfRole(api, role);
      const describe = statements.find((s) => s.Sid === 'DescribeVpcNetwork')!;
      expect(actionsOf(describe).sort()).toEqual(['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets']);
      const manage = statements.find((s) => s.Sid === 'ManageOwnNetworkInterfaces')!;
      const resources = JSON.stringify(manage.Resource);
      expect(resources).toContain(':network-interface/*');
      expect(resources).toContain('NetworkFunctionSecurityGroup');
      expect(resources.match(/NetworkVpcisolatedSubnet/g)).toHaveLength(2);
    }
    // The deployment recorder answers CloudFormation on the internet: it stays outside.
    const endpointFunctions = Object.values(
      endpoint.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'inference-prod-record-deployment' } }),
    );
    expect(endpointFunctions[0].Properties.VpcConfig).toBeUndefined();
  });

  test("the execution role has exactly the EC2 actions SageMaker's VPC guide lists, creation scoped to the stage's subnets and group", () => {
    // The ten actions of "Give SageMaker AI Hosted Endpoints Access to Resources in Your Amazon VPC"
    // (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html), copied from the page.
    const guide = [
      'ec2:DescribeVpcEndpoints',
      'ec2:DescribeDhcpOptions',
      'ec2:DescribeVpcs',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterfacePermission',
      'ec2:DeleteNetworkInterface',
      'ec2:CreateNetworkInterfacePermission',
      'ec2:CreateNetworkInterface',
    ];
    const statements = statementsOfRole(endpoint, 'ModelEndpointExecutionRole');
    expect(
      statements
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('ec2:'))
        .sort(),
    ).toEqual([...guide].sort());
    const manage = statements.find((s) => s.Sid === 'ManageOwnNetworkInterfaces')!;
    const resources = JSON.stringify(manage.Resource);
    expect(resources).toContain(':network-interface/*');
    expect(resources).toContain('NetworkModelSecurityGroup');
    expect(resources.match(/NetworkVpcisolatedSubnet/g)).toHaveLength(2);
  });

  test("the model runs in the same subnets with the model's group (VpcConfig on the model)", () => {
    endpoint.hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: {
        Subnets: [
          { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkVpcisolatedSubnet1') }) },
          { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkVpcisolatedSubnet2') }) },
        ],
        SecurityGroupIds: [{ 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('NetworkModelSecurityGroup') }) }],
      },
      EnableNetworkIsolation: true,
    });
  });
});

describe('network.vpc off', () => {
  test('no VPC anywhere, and no VPC permissions', () => {
    const { data, api, endpoint } = synthStage('prod');
    data.resourceCountIs('AWS::EC2::VPC', 0);
    for (const fn of Object.values(api.findResources('AWS::Lambda::Function'))) expect(fn.Properties.VpcConfig).toBeUndefined();
    endpoint.hasResourceProperties('AWS::SageMaker::Model', { VpcConfig: Match.absent() });
    expect(JSON.stringify(api.toJSON())).not.toContain('ec2:CreateNetworkInterface');
  });

  test('a serverless endpoint refuses a VPC placement', () => {
    const stack = new Stack(new App(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    expect(
      () =>
        new ModelEndpoint(stack, 'E', {
          endpointName: 'e',
          image: ModelImage.fromUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/m:1'),
          modelData: ModelData.fromS3Url('s3://b/m.tar.gz'),
          modelVersion: '1',
          capacity: { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 },
          placement: { subnets: vpc.isolatedSubnets, securityGroups: [] },
          logRetention: RetentionDays.ONE_WEEK,
        }),
    ).toThrow('serverless endpoints cannot run in a vpc');
  });
});

describe('interface endpoints only in zones that offer the service', () => {
  // AWS services do not cover every zone; DescribeVpcEndpointServices lists the zones where an
  // endpoint can be created (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html),
  // and CDK's lookupSupportedAzs asks it at synth when account and region are set
  // (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.InterfaceVpcEndpointProps.html).
  // In-process synth never calls AWS: it only records the lookup as missing context.
  const missingLookups = (stack: Stack) => {
    const assembly = (stack.node.root as App).synth();
    return (assembly.manifest.missing ?? [])
      .filter((m) => m.provider === 'endpoint-service-availability-zones')
      .map((m) => (m.props as { serviceName: string }).serviceName);
  };

  test('with a known account and region, every interface endpoint looks up its supported zones', () => {
    const stack = new Stack(new App(), 'Known', { env: { account: '111122223333', region: 'eu-west-1' } });
    new PipelineNetwork(stack, 'Network', { flowLogRetentionDays: 7, tracing: true });
    expect(missingLookups(stack).sort()).toEqual([
      'com.amazonaws.eu-west-1.logs',
      'com.amazonaws.eu-west-1.sagemaker.runtime',
      'com.amazonaws.eu-west-1.xray',
    ]);
  });

  test('an environment-agnostic stack (tests, offline synth) looks nothing up, and refuses a forced lookup', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new PipelineNetwork(stack, 'Network', { flowLogRetentionDays: 7 });
    expect(missingLookups(stack)).toEqual([]);
    expect(
      () => new PipelineNetwork(new Stack(new App(), 'Forced'), 'Network', { flowLogRetentionDays: 7, lookupSupportedAzs: true }),
    ).toThrow("lookupSupportedAzs needs the stack's account and region");
  });
});
