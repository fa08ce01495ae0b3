import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { stageStacks } from '../../../tools/deploy/stack-names';
import { CiStack, CiStackProps, DEPLOY_ROLE_MAX_SESSION } from '../../../lib/stacks/ci-stack';
import { readCdkContext } from '../../../tools/cli';

/**
 * The CI stack's IAM, read from the synthesized template: GitHub may assume the deploy role
 * only from the repository's deploy branch or protected environment, and the role can do
 * nothing but assume the CDK bootstrap roles, read the stage's stacks and call its API.
 */
const cdkJson = readCdkContext();
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

function synthCi(
  stage: string,
  props: Partial<CiStackProps> = {},
  ci: object | null = { githubRepository: 'acme/inference', branch: 'main' },
) {
  const stages = {
    ...(cdkJson.stages as object),
    [stage]: { ...(stage === 'staging' ? (cdkJson.stages as any).staging : {}), ...(ci ? { ci } : {}), account: ACCOUNT, region: REGION },
  };
  const config = resolveStageConfig({ ...cdkJson, stage, stages });
  const app = new App({ context: cdkJson });
  // As lib/pipeline.ts passes them: the pipeline's stacks (the CI stack adds its own name).
  const stackNames = stageStacks(config)
    .map((s) => s.name)
    .filter((name) => !name.endsWith('-ci'));
  const stack = new CiStack(app, `inference-${stage}-ci`, { config, stackNames, env: { account: ACCOUNT, region: REGION }, ...props });
  return { template: Template.fromStack(stack), stackNames };
}

function roleNamed(template: Template, name: string): Record<string, any> {
  const [role] = Object.values(template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } }));
  expect(role).toBeDefined();
  return role.Properties;
}

function statementsOf(template: Template, roleName: string): Array<Record<string, any>> {
  const [logicalId] = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }));
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter(
    (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: logicalId }]),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('deploy role', () => {
  const { template, stackNames } = synthCi('dev');

  test("trusts GitHub OIDC tokens for STS from the stage's GitHub environment of this repository only, never a branch", () => {
    // A job that references an environment has the subject repo:ORG/REPO:environment:NAME (GitHub,
    // OpenID Connect reference, https://docs.github.com/en/actions/reference/openid-connect-reference);
    // trusting ref:refs/heads/main as well would let any job of main skip the environment's approval.
    const role = roleNamed(template, 'inference-dev-github-deploy');
    // Assumed directly with the OIDC token (not chained), so up to 12 h are possible: "The maximum
    // session duration setting can have a value from 1 hour to 12 hours" (AssumeRole,
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). 2 h covers the prod job.
    expect(role.MaxSessionDuration).toBe(7200);
    expect(DEPLOY_ROLE_MAX_SESSION.toSeconds()).toBe(7200);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: { Ref: Object.keys(template.findResources('AWS::IAM::OIDCProvider'))[0] } },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/inference:environment:dev',
          },
        },
      },
    ]);
  });

  test("may only assume the CDK bootstrap roles of its account and region, read the stage's stacks and call its API", () => {
    expect(statementsOf(template, 'inference-dev-github-deploy')).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-*-${ACCOUNT}-${REGION}`,
      },
      {
        Sid: 'ReadStageOutputs',
        Effect: 'Allow',
        Action: 'cloudformation:DescribeStacks',
        // minimizePolicies (cdk.json) sorts the resources.
        Resource: [...stackNames, 'inference-dev-ci'].map((name) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/*`).sort(),
      },
      {
        Sid: 'SmokeTestStageApi',
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: ['POST/predict', 'GET/inferences/*', 'GET/models']
          .map((route) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:*/dev/${route}`)
          .sort(),
      },
    ]);
    expect(stackNames).toEqual([
      'inference-dev-data',
      'inference-dev-endpoint',
      'inference-dev-api',
      'inference-dev-monitoring',
      'inference-dev-audit',
    ]);
    // No managed policies, no inline policies beside the one above.
    expect(roleNamed(template, 'inference-dev-github-deploy').ManagedPolicyArns).toBeUndefined();
    expect(roleNamed(template, 'inference-dev-github-deploy').Policies).toBeUndefined();
  });

  test('creates the GitHub OIDC provider with the STS audience, and names the role in an output', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['DeployRoleArn', 'DiffRoleArn']);
  });
});

describe('diff role', () => {
  const { template } = synthCi('dev');

  test('trusts only pull requests of the repository and may only assume the read-only CDK lookup role', () => {
    const role = roleNamed(template, 'inference-dev-github-diff');
    expect(role.MaxSessionDuration).toBe(3600);
    expect(role.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': 'repo:acme/inference:pull_request',
      },
    });
    expect(statementsOf(template, 'inference-dev-github-diff')).toEqual([
      {
        Sid: 'AssumeCdkLookupRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-lookup-role-${ACCOUNT}-${REGION}`,
      },
    ]);
  });
});

describe('options', () => {
  test('an existing OIDC provider is imported by ARN instead of created (one per account)', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { template } = synthCi('prod', { oidcProviderArn: arn });
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(roleNamed(template, 'inference-prod-github-deploy').AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Federated: arn });
  });

  test("prod trusts only its protected environment's subject, not the branch; no smoke-test access when off", () => {
    const { template } = synthCi('prod', { allowSmokeTest: false, bootstrapQualifier: 'custom123' });
    const trust = roleNamed(template, 'inference-prod-github-deploy').AssumeRolePolicyDocument.Statement[0];
    expect(trust.Condition.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': 'repo:acme/inference:environment:prod',
    });
    expect(JSON.stringify(trust)).not.toContain('ref:refs/heads');
    const statements = statementsOf(template, 'inference-prod-github-deploy');
    expect(statements.map((s) => s.Action)).toEqual(['sts:AssumeRole', 'cloudformation:DescribeStacks']);
    expect(statements[0].Resource).toBe(`arn:aws:iam::${ACCOUNT}:role/cdk-custom123-*-${ACCOUNT}-${REGION}`);
  });

  test('ci.environment names another environment: only its subject is trusted', () => {
    const { template } = synthCi('staging', {}, { githubRepository: 'acme/inference', branch: 'main', environment: 'pre-production' });
    const trust = roleNamed(template, 'inference-staging-github-deploy').AssumeRolePolicyDocument.Statement[0];
    expect(trust.Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe('repo:acme/inference:environment:pre-production');
    expect(() => synthCi('staging', {}, { githubRepository: 'acme/inference', branch: 'main', environment: 'pre production' })).toThrow(
      "ci.environment: must be a GitHub environment name (letters, digits, '.', '_', '-'), got 'pre production'",
    );
  });

  test('a stage without ci settings cannot build the stack, and says why', () => {
    expect(() => synthCi('dev', {}, null)).toThrow('stage dev has no ci settings: the CI stack needs ci.githubRepository and ci.branch');
  });
});
