import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { retentionDays } from './log-retention';

export interface PipelineNetworkProps {
  /**
   * Address range of the VPC; two /24 subnets are carved from it.
   * @default '10.80.0.0/20'
   */
  readonly cidr?: string;
  /**
   * Add an X-Ray interface endpoint, so functions with active tracing can send their segments.
   * @default false
   */
  readonly tracing?: boolean;
  /** Days the rejected-traffic flow log is kept. */
  readonly flowLogRetentionDays: number;
  /**
   * Place each interface endpoint only in the zones where its service is offered, found by a
   * synth-time lookup (DescribeVpcEndpointServices) that needs the stack's account and region;
   * the answer is cached in `cdk.context.json`. Without it, an endpoint in a zone the service
   * does not cover fails at deploy ("The VPC endpoint service ... does not support the
   * Availability Zone of the subnet").
   * @default - true when the stack's account and region are known, else false (an
   *   environment-agnostic synth, as in the tests, stays offline)
   */
  readonly lookupSupportedAzs?: boolean;
  /**
   * What happens to the flow log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly flowLogRemovalPolicy?: RemovalPolicy;
}

/** Where a function runs in the network: spread into `lambda.FunctionProps`. */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/** Where the SageMaker model's instances run (the model's `VpcConfig`). */
export interface ModelPlacement {
  readonly subnets: ec2.ISubnet[];
  readonly securityGroups: ec2.ISecurityGroup[];
}

/**
 * The pipeline's private network, for stages with `network.vpc=true`: a VPC with isolated
 * subnets in two zones and no route to the internet (no internet gateway, no NAT), so the
 * prediction and read functions and the model's instances reach AWS only through VPC endpoints:
 *  - gateway endpoints for DynamoDB (the records) and S3 (payload overflow, the model artifact,
 *    data capture), free of charge;
 *  - interface endpoints for SageMaker runtime (InvokeEndpoint), CloudWatch Logs, and X-Ray
 *    when tracing is on.
 * No KMS or STS endpoint is needed: the functions' KMS use happens inside DynamoDB and S3
 * (server-side encryption), and Lambda hands functions their credentials without STS.
 *
 * Security groups allow HTTPS only: the workloads may open port 443 (their subnets route
 * nowhere but to the endpoints), the interface endpoints accept 443 from the workloads only.
 * Rejected traffic is written to a flow log, the first place to look when a call hangs.
 */
export class PipelineNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Security group of the prediction and read functions. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** Security group of the SageMaker endpoint's instances. */
  readonly modelSecurityGroup: ec2.SecurityGroup;
  /** Security group of the interface endpoints. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  readonly flowLogGroup: logs.LogGroup;
  readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;

  constructor(scope: Construct, id: string, props: PipelineNetworkProps) {
    super(scope, id);
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLog', {
      retention: retentionDays(props.flowLogRetentionDays),
      removalPolicy: props.flowLogRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.80.0.0/20'),
      // Two zones: a zone outage leaves the functions and one endpoint instance serving.
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // The default security group would let anything placed in it talk to everything else in it.
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [isolated] },
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [isolated] },
      },
      flowLogs: {
        RejectedTraffic: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
        },
      },
    });

    // The subnets route only to the VPC and the gateway endpoints' prefix lists, so port 443
    // "anywhere" reaches only AWS through the endpoints; the prefix-list ids are not known offline.
    const workload = (sgId: string, description: string) => {
      const sg = new ec2.SecurityGroup(this, sgId, { vpc: this.vpc, description, allowAllOutbound: false });
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS through the VPC endpoints (no other route exists)');
      return sg;
    };
    this.functionSecurityGroup = workload('FunctionSecurityGroup', 'Inference functions: HTTPS out to the VPC endpoints only');
    this.modelSecurityGroup = workload('ModelSecurityGroup', 'SageMaker endpoint instances: HTTPS out to the VPC endpoints only');

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS in from the inference functions and the model only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(this.functionSecurityGroup, ec2.Port.tcp(443), 'from the inference functions');
    this.endpointSecurityGroup.addIngressRule(this.modelSecurityGroup, ec2.Port.tcp(443), 'from the SageMaker endpoint instances');

    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
      CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    };
    if (props.tracing) services.XRay = ec2.InterfaceVpcEndpointAwsService.XRAY;
    // AWS services do not always cover every zone: DescribeVpcEndpointServices returns the zones
    // where an interface endpoint can be created (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html).
    // CDK's lookupSupportedAzs asks it at synth, and needs a concrete account and region
    // (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.InterfaceVpcEndpointProps.html).
    const stack = Stack.of(this);
    const envKnown = !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
    const lookupSupportedAzs = props.lookupSupportedAzs ?? envKnown;
    if (lookupSupportedAzs && !envKnown) {
      throw new Error("lookupSupportedAzs needs the stack's account and region (set account and region in the stage config)");
    }
    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    for (const [name, service] of Object.entries(services)) {
      endpoints[name] = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: isolated,
        securityGroups: [this.endpointSecurityGroup],
        // Only the groups above may connect; `open` would admit the whole VPC range.
        open: false,
        privateDnsEnabled: true,
        lookupSupportedAzs,
      });
    }
    this.interfaceEndpoints = endpoints;
  }

  /** Placement of a function in the isolated subnets with the functions' security group. */
  functionPlacement(): FunctionPlacement {
    return { vpc: this.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroups: [this.functionSecurityGroup] };
  }

  /** Placement of the model's instances in the isolated subnets with the model's security group. */
  modelPlacement(): ModelPlacement {
    return { subnets: this.vpc.isolatedSubnets, securityGroups: [this.modelSecurityGroup] };
  }
}
