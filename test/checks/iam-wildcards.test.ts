import { NAG_CONFIGURATIONS, synthApp } from '../harness/nag-stages';

/**
 * Walks every policy statement of every stack — identity policies (AWS::IAM::Policy and
 * ManagedPolicy, roles' inline policies) and resource policies (buckets, keys, topics, queues,
 * log groups, APIs, VPC endpoints) — and fails on a wildcard grant that nobody reviewed:
 * an Allow whose Resource is '*', whose Action is '*' or 'service:*', or that uses NotAction or
 * NotResource. It also fails on AWS managed policies other than the two below, and on any
 * managed full-access or administrator policy.
 *
 * A new entry here is a security review decision: name the actions exactly and say why.
 */

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

type PolicyKind = 'identity' | 'key' | 'resource';

interface Allowed {
  /** Every action of the statement must be one of these. */
  readonly actions: readonly string[];
  readonly kinds: readonly PolicyKind[];
  readonly reason: string;
  /** What else the statement must carry to qualify. */
  readonly requires?: (s: Statement) => boolean;
}

const ALLOWLIST: readonly Allowed[] = [
  {
    actions: ['ecr:GetAuthorizationToken'],
    kinds: ['identity'],
    reason: 'Registry login has no resource-level permissions; the image pull itself is granted on the one repository.',
  },
  {
    actions: ['cloudwatch:PutMetricData'],
    kinds: ['identity'],
    reason: 'PutMetricData has no resource-level permissions; a cloudwatch:namespace condition limits it to the endpoint namespaces.',
    requires: (s) => s.Condition?.StringEquals?.['cloudwatch:namespace'] !== undefined,
  },
  {
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    kinds: ['identity'],
    reason: 'X-Ray active tracing (monitoring.tracing): the X-Ray write actions have no resource-level permissions.',
  },
  {
    actions: [
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeDhcpOptions',
      'ec2:DescribeVpcEndpoints',
    ],
    kinds: ['identity'],
    reason:
      "network.vpc: Lambda and SageMaker describe the network before attaching interfaces (SageMaker's list: https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html); EC2 Describe calls have no resource-level permissions (the calls that create or delete interfaces are scoped to the subnets and security groups).",
  },
  {
    actions: ['kms:*'],
    kinds: ['key'],
    reason:
      "A key policy's administration statement for the account itself (CDK's default): it delegates the key to IAM policies; without it the key cannot be managed or deleted.",
    requires: (s) => JSON.stringify(principalAws(s) ?? '').includes(':root'),
  },
];

/** AWS managed policies a role of the app may carry, with the reason. */
const MANAGED_POLICY_ALLOWLIST: Readonly<Record<string, string>> = {
  'service-role/AWSLambdaBasicExecutionRole':
    "Only on the roles of aws-cdk-lib's own custom-resource providers (auto-delete objects, default security group lockdown), which CDK creates; the pipeline's functions carry none.",
  'service-role/AmazonAPIGatewayPushToCloudWatchLogs':
    "API Gateway's account-level logging role, shared by every REST API of the account and region.",
};

/** Roles that may carry AWSLambdaBasicExecutionRole: CDK's custom-resource providers. */
const CDK_PROVIDER_ROLE = /^(Custom[A-Za-z0-9]+CustomResourceProviderRole|AWS679f53fac002430cb0da5b7982bd2287ServiceRole)/;

interface Located {
  readonly where: string;
  /** The CloudFormation type holding the policy. */
  readonly type: string;
  readonly kind: PolicyKind;
  readonly statement: Statement;
}

/** Every statement of every policy of a template, with where it is and what kind of policy it is. */
function statementsOf(stackName: string, template: any): Located[] {
  const found: Located[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    const add = (where: string, kind: PolicyKind, doc: unknown) => {
      const parsed = typeof doc === 'string' ? JSON.parse(doc) : doc;
      for (const statement of [(parsed as { Statement?: unknown })?.Statement ?? []].flat()) {
        found.push({ where: `${stackName}/${where}`, type: r.Type, kind, statement: statement as Statement });
      }
    };
    switch (r.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        add(id, 'identity', p.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        for (const inline of p.Policies ?? []) add(`${id}/${inline.PolicyName}`, 'identity', inline.PolicyDocument);
        add(`${id}/trust`, 'resource', p.AssumeRolePolicyDocument);
        break;
      case 'AWS::KMS::Key':
        add(id, 'key', p.KeyPolicy);
        break;
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::EC2::VPCEndpoint':
        if (p.PolicyDocument) add(id, 'resource', p.PolicyDocument);
        break;
      case 'AWS::Logs::ResourcePolicy':
        add(id, 'resource', p.PolicyDocument);
        break;
      case 'AWS::ApiGateway::RestApi':
        if (p.Policy) add(id, 'resource', p.Policy);
        break;
      default:
        if (p.PolicyDocument || p.KeyPolicy) throw new Error(`${stackName}/${id}: ${r.Type} holds a policy this walker does not read yet`);
    }
  }
  return found;
}

function principalAws(s: Statement): unknown {
  return (s.Principal as { AWS?: unknown } | undefined)?.AWS;
}

/** Why a statement is a wildcard grant, or undefined. */
function wildcardOf(l: Located): string | undefined {
  const s = l.statement;
  if (s.Effect !== 'Allow') return undefined;
  if (s.NotAction) return 'NotAction';
  if (s.NotResource) return 'NotResource';
  if (l.where.endsWith('/trust')) {
    return JSON.stringify(s.Principal).includes('"*"') ? 'anyone may assume the role' : undefined;
  }
  const actions = [s.Action ?? []].flat();
  if (actions.some((a) => a === '*' || /^[a-z0-9-]+:\*$/i.test(a))) return `action ${actions.join(', ')}`;
  // In a key policy, Resource '*' means this key: the actions and principals decide.
  if (l.kind !== 'key' && [s.Resource].flat().includes('*')) return `resource '*' for ${actions.join(', ')}`;
  if (l.kind === 'resource' && JSON.stringify(s.Principal ?? '').match(/^"\*"$|"AWS":"\*"/) && !s.Condition)
    return 'any principal without a condition';
  return undefined;
}

function isAllowed(l: Located): boolean {
  const actions = [l.statement.Action ?? []].flat();
  return ALLOWLIST.some(
    (entry) =>
      entry.kinds.includes(l.kind) &&
      actions.length > 0 &&
      actions.every((a) => entry.actions.includes(a)) &&
      (entry.requires?.(l.statement) ?? true),
  );
}

function managedPolicies(stackName: string, template: any): Array<{ where: string; role: string; policy: string }> {
  const found: Array<{ where: string; role: string; policy: string }> = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    const arns =
      r.Type === 'AWS::IAM::Role'
        ? (r.Properties?.ManagedPolicyArns ?? [])
        : r.Type === 'AWS::IAM::Group' || r.Type === 'AWS::IAM::User'
          ? (r.Properties?.ManagedPolicyArns ?? [])
          : [];
    for (const arn of arns) {
      const flat = typeof arn === 'string' ? arn : JSON.stringify(arn);
      const policy = /iam::aws:policy\/([A-Za-z0-9/_+=,.@-]+)/.exec(flat.replace(/"\s*,\s*"/g, ''))?.[1] ?? flat;
      found.push({ where: `${stackName}/${id}`, role: id, policy });
    }
  }
  return found;
}

describe.each(Object.entries(NAG_CONFIGURATIONS))('IAM statements, %s', (_name, configuration) => {
  const { templates } = synthApp(configuration);
  const located = Object.entries(templates).flatMap(([name, template]) => statementsOf(name, template));

  test('the walker reads every kind of policy the app holds: identity, role trust, bucket, key and topic policies', () => {
    const types = new Set(located.map((l) => l.type));
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::S3::BucketPolicy', 'AWS::KMS::Key', 'AWS::SNS::TopicPolicy'])
      expect(types).toContain(type);
  });

  test('no Allow grants a wildcard resource or action unless the reviewed allowlist names it', () => {
    const unreviewed = located
      .map((l) => ({ l, why: wildcardOf(l) }))
      .filter(({ l, why }) => why !== undefined && !isAllowed(l))
      .map(({ l, why }) => `${l.where}${l.statement.Sid ? ` (${l.statement.Sid})` : ''}: ${why}`);
    expect(unreviewed).toEqual([]);
  });

  test('no role carries a managed full-access or administrator policy, and AWS managed policies only where reviewed', () => {
    const managed = Object.entries(templates).flatMap(([name, template]) => managedPolicies(name, template));
    expect(managed.filter((m) => /FullAccess|AdministratorAccess|PowerUserAccess/.test(m.policy))).toEqual([]);
    const unreviewed = managed.filter(
      (m) =>
        !(m.policy in MANAGED_POLICY_ALLOWLIST) ||
        (m.policy === 'service-role/AWSLambdaBasicExecutionRole' && !CDK_PROVIDER_ROLE.test(m.role)),
    );
    expect(unreviewed).toEqual([]);
  });

  test('every allowlist entry gives its reason', () => {
    for (const entry of ALLOWLIST) expect(entry.reason.length).toBeGreaterThan(60);
    for (const reason of Object.values(MANAGED_POLICY_ALLOWLIST)) expect(reason.length).toBeGreaterThan(60);
  });
});

describe('the walker itself', () => {
  const template = (statement: Partial<Statement>, type = 'AWS::IAM::Policy') => ({
    Resources: {
      P: {
        Type: type,
        Properties:
          type === 'AWS::KMS::Key'
            ? { KeyPolicy: { Statement: [{ Effect: 'Allow', ...statement }] } }
            : { PolicyDocument: { Statement: [{ Effect: 'Allow', ...statement }] } },
      },
    },
  });
  const flagged = (t: unknown) => statementsOf('S', t).filter((l) => wildcardOf(l) !== undefined && !isAllowed(l)).length;

  test.each([
    ['a resource wildcard', { Action: 's3:GetObject', Resource: '*' }],
    ['a service wildcard', { Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t' }],
    ['a full wildcard', { Action: '*', Resource: 'arn:aws:s3:::b' }],
    ['NotAction', { NotAction: 'iam:*', Resource: '*' }],
    ['NotResource', { Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/*' }],
    ['PutMetricData without its namespace condition', { Action: 'cloudwatch:PutMetricData', Resource: '*' }],
    ['an allowlisted action mixed with another', { Action: ['ecr:GetAuthorizationToken', 's3:GetObject'], Resource: '*' }],
  ])('flags %s', (_what, statement) => {
    expect(flagged(template(statement as Partial<Statement>))).toBe(1);
  });

  test('passes exact grants, reviewed wildcards and key policies scoped by principal', () => {
    expect(flagged(template({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/k' }))).toBe(0);
    expect(
      flagged(
        template({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'X' } } }),
      ),
    ).toBe(0);
    expect(
      flagged(template({ Action: ['kms:Decrypt'], Resource: '*', Principal: { Service: 'cloudtrail.amazonaws.com' } }, 'AWS::KMS::Key')),
    ).toBe(0);
    expect(
      flagged(template({ Action: 'kms:*', Resource: '*', Principal: { AWS: 'arn:aws:iam::111122223333:root' } }, 'AWS::KMS::Key')),
    ).toBe(0);
    expect(
      flagged(template({ Action: 'kms:*', Resource: '*', Principal: { AWS: 'arn:aws:iam::111122223333:role/x' } }, 'AWS::KMS::Key')),
    ).toBe(1);
  });
});
