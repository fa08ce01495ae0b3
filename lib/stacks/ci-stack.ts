import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceFinding } from '../constructs/acknowledge';
import { StageConfig, resourcePrefix } from '../config/stage-config';

/** GitHub Actions' OIDC issuer, and the audience aws-actions/configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** The CDK bootstrap qualifier `cdk bootstrap` uses unless told otherwise. */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * The longest session of the deploy role. The workflow assumes it directly with its OIDC token
 * (AssumeRoleWithWebIdentity, not role chaining), so it may last up to the role's
 * MaxSessionDuration: "The maximum session duration setting can have a value from 1 hour to 12
 * hours" (AssumeRole DurationSeconds, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 * Two hours covers the prod job (timeout-minutes: 120: a canary rollout waits on its alarms).
 * The CDK CLI's own AssumeRole of the bootstrap roles from this session IS role chaining, capped
 * at one hour ("Role chaining limits your ... role session to a maximum of one hour"), which is why
 * the outer session must outlast the job: the CLI re-assumes the bootstrap roles from it.
 * .github/workflows/pipeline.yml asks for role-duration-seconds within this (test/github/workflow.test.ts).
 */
export const DEPLOY_ROLE_MAX_SESSION = Duration.hours(2);

export interface CiStackProps extends StackProps {
  /** The stage; `config.ci` names the repository (`OWNER/NAME`), branch and GitHub environment that may deploy. */
  readonly config: Pick<StageConfig, 'stage' | 'project' | 'ci'>;
  /** The stage's stacks, whose outputs the workflow reads (DescribeStacks) after a deploy. */
  readonly stackNames: readonly string[];
  /**
   * An existing GitHub OIDC provider of the account. IAM allows one provider per URL and
   * account, so the second stage (or project) in an account must import the first one's.
   * @default - this stack creates the provider
   */
  readonly oidcProviderArn?: string;
  /** @default the `@aws-cdk/core:bootstrapQualifier` context, else `hnb659fds` */
  readonly bootstrapQualifier?: string;
  /**
   * Let the deploy role call this stage's API routes, so the workflow's signed smoke test
   * can run with the same short-lived credentials.
   * @default true
   */
  readonly allowSmokeTest?: boolean;
}

/**
 * Lets GitHub Actions deploy the stage without long-lived keys: GitHub's OIDC provider and
 * two roles that a workflow assumes with its short-lived OIDC token.
 *
 * - The deploy role, for the jobs of the stage's GitHub environment only (`ci.environment`,
 *   default the stage's name; its protection rules decide which branches and reviewers),
 *   may only assume the CDK bootstrap roles of this account and region — the CDK CLI does
 *   everything through them, with the permissions `cdk bootstrap` gave them — and read this
 *   stage's stack outputs (and call its API routes for the smoke test).
 * - The diff role, for pull requests of the repository, may only assume the read-only CDK
 *   lookup role, which is all `cdk diff --method template` needs. Code under review never
 *   gets credentials that could change the account.
 */
export class CiStack extends Stack {
  readonly deployRole: iam.Role;
  readonly diffRole: iam.Role;
  readonly provider: iam.IOidcProvider;
  /** The GitHub environment whose jobs may assume the deploy role. */
  readonly githubEnvironment: string;

  constructor(scope: Construct, id: string, props: CiStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (!config.ci) throw new Error(`stage ${config.stage} has no ci settings: the CI stack needs ci.githubRepository and ci.branch`);
    const { githubRepository, branch } = config.ci;
    const prefix = resourcePrefix(config);
    const qualifier =
      props.bootstrapQualifier ?? this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    // Literal ARNs when the stage pins its account and region, CloudFormation references otherwise.
    const { account, region, partition } = this;

    this.provider = props.oidcProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHubOidcProvider', props.oidcProviderArn)
      : new iam.OidcProviderNative(this, 'GitHubOidcProvider', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIds: [GITHUB_OIDC_AUDIENCE],
        });

    // A job that references an environment gets the subject `repo:ORG/REPO:environment:NAME`
    // (GitHub, OpenID Connect reference, "Filtering for a specific environment",
    // https://docs.github.com/en/actions/reference/openid-connect-reference). Trusting only that
    // subject means only the environment's jobs, after its approvals, get these credentials;
    // trusting `ref:refs/heads/BRANCH` too would let any job of the branch skip them.
    const environment = config.ci.environment ?? config.stage;
    this.githubEnvironment = environment;
    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: `${prefix}-github-deploy`,
      description: `GitHub Actions (${githubRepository}, environment ${environment}, branch ${branch}) deploys ${prefix} through the CDK bootstrap roles`,
      assumedBy: this.githubPrincipal([`repo:${githubRepository}:environment:${environment}`]),
      maxSessionDuration: DEPLOY_ROLE_MAX_SESSION,
    });
    const bootstrapRoles = `arn:${partition}:iam::${account}:role/cdk-${qualifier}-*-${account}-${region}`;
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: [bootstrapRoles],
      }),
    );
    acknowledge(
      this.deployRole,
      wildcardResourceFinding(this, bootstrapRoles),
      'The CDK bootstrap roles (deploy, file and image publishing, lookup) of this account and region share one name pattern; the wildcard stands only for their kind, and they are what cdk deploy assumes.',
    );
    // This stack's own outputs too, whatever the list holds: `npm run outputs` reads every stack of the stage.
    const stacks = [...new Set([...props.stackNames, this.stackName])].map(
      (name) => `arn:${partition}:cloudformation:${region}:${account}:stack/${name}/*`,
    );
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadStageOutputs', actions: ['cloudformation:DescribeStacks'], resources: stacks }),
    );
    for (const stack of stacks) {
      acknowledge(
        this.deployRole,
        wildcardResourceFinding(this, stack),
        'A stack ARN ends in the stack id CloudFormation generates at creation; the wildcard covers only that id of this named stage stack, for DescribeStacks (read-only).',
      );
    }
    if (props.allowSmokeTest ?? true) {
      // The API's id is only known to the API stack; the stage name scopes the routes instead.
      const route = (method: string, path: string) =>
        `arn:${partition}:execute-api:${region}:${account}:*/${config.stage}/${method}/${path}`;
      const routes = [route('POST', 'predict'), route('GET', 'inferences/*'), route('GET', 'models')];
      this.deployRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'SmokeTestStageApi', actions: ['execute-api:Invoke'], resources: routes }),
      );
      for (const r of routes) {
        acknowledge(
          this.deployRole,
          wildcardResourceFinding(this, r),
          "The smoke test calls this stage's three routes; the API id is generated in the API stack (a reference would make CI depend on it) and record ids are per request, so those parts are wildcards.",
        );
      }
    }

    this.diffRole = new iam.Role(this, 'DiffRole', {
      roleName: `${prefix}-github-diff`,
      description: `GitHub Actions pull requests of ${githubRepository} diff ${prefix} through the read-only CDK lookup role`,
      assumedBy: this.githubPrincipal([`repo:${githubRepository}:pull_request`]),
      maxSessionDuration: Duration.hours(1),
    });
    this.diffRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkLookupRole',
        actions: ['sts:AssumeRole'],
        resources: [`arn:${partition}:iam::${account}:role/cdk-${qualifier}-lookup-role-${account}-${region}`],
      }),
    );

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: `role-to-assume of the deploy job in GitHub environment ${environment} (repository variable AWS_DEPLOY_ROLE_ARN_STAGE)`,
    });
    new CfnOutput(this, 'DiffRoleArn', {
      value: this.diffRole.roleArn,
      description: 'role-to-assume of the pull-request diff job (repository variable AWS_DIFF_ROLE_ARN_STAGE)',
    });
  }

  /** GitHub's OIDC tokens for exactly these subjects, and only when issued for STS. */
  private githubPrincipal(subjects: readonly string[]): iam.IPrincipal {
    return new iam.OpenIdConnectPrincipal(this.provider, {
      StringEquals: {
        [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
        [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects],
      },
    });
  }
}
