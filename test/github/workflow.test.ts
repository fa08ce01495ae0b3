import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { DEPLOY_ROLE_MAX_SESSION } from '../../lib/stacks/ci-stack';

/**
 * The GitHub Actions workflow, read as GitHub reads it: the triggers, the OIDC-only
 * credentials, one deploy per stage at a time, prod behind its protected environment, and
 * every npm script it runs present in package.json.
 */
const ROOT = path.join(__dirname, '..', '..');
const text = fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'pipeline.yml'), 'utf8');
const workflow = parse(text) as Record<string, any>;
const jobs = workflow.jobs as Record<string, Record<string, any>>;
const scripts = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
const steps = (job: string): Step[] => jobs[job].steps;
const runs = (job: string) =>
  steps(job)
    .filter((s) => s.run)
    .map((s) => s.run!)
    .join('\n');
const awsStep = (job: string) => steps(job).find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));

test('runs on pull requests to main and on pushes to main', () => {
  expect(workflow.on.pull_request.branches).toEqual(['main']);
  expect(workflow.on.push.branches).toEqual(['main']);
  expect(workflow.permissions).toEqual({ contents: 'read' });
});

test('pull requests install, test, synth and post a cdk diff of each stage as the job summary', () => {
  expect(runs('test')).toMatch(/^npm ci$/m);
  expect(runs('test')).toMatch(/^npm test$/m);
  expect(runs('test')).toMatch(/npx cdk synth/);
  const setupNode = steps('test').find((s) => s.uses?.startsWith('actions/setup-node@'));
  // The workflow runs the tools on the supported floor package.json names (engines, .nvmrc).
  const floor = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node.replace(/^>=/, '');
  expect(setupNode?.with).toEqual({ 'node-version': Number(floor), cache: 'npm' });
  expect(fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim()).toBe(floor);

  const diff = jobs.diff;
  expect(diff.if).toContain("github.event_name == 'pull_request'");
  expect(diff.needs).toBe('test');
  expect(diff.strategy.matrix.include.map((m: { stage: string }) => m.stage)).toEqual(['dev', 'prod']);
  expect(runs('diff')).toMatch(/npm run --silent deploy -- --stage \$\{\{ matrix\.stage \}\} --diff --template-only/);
  const summary = steps('diff').find((s) => s.run?.includes('$GITHUB_STEP_SUMMARY'));
  expect(summary?.if).toBe('always()');
  expect(summary?.run).toContain('cdk-diff.txt');
});

test('main deploys dev, smoke-tests it, then prod in the protected environment with its own smoke test', () => {
  expect(jobs['deploy-dev'].if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
  expect(runs('deploy-dev')).toMatch(/npm run deploy -- --stage dev --require-approval never/);
  expect(runs('deploy-dev')).toMatch(/npm run smoke -- --url "\$url" --sign/);
  expect(runs('deploy-dev')).toMatch(/outputs -- --stage dev --json/);

  expect(jobs['deploy-prod'].needs).toBe('deploy-dev');
  expect(jobs['deploy-prod'].environment).toBe('prod');
  expect(runs('deploy-prod')).toMatch(/npm run deploy -- --stage prod --require-approval never/);
  expect(runs('deploy-prod')).toMatch(/npm run smoke -- --url "\$url" --sign/);
  expect(runs('deploy-prod')).toMatch(/outputs -- --stage prod --json/);
  // Only the protected job touches prod.
  for (const job of ['test', 'deploy-dev']) expect(runs(job)).not.toMatch(/--stage prod/);
});

test('AWS access is OIDC only: id-token where credentials are used, roles from repository variables, no keys', () => {
  for (const job of ['diff', 'deploy-dev', 'deploy-prod']) {
    expect(jobs[job].permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const aws = awsStep(job);
    expect(aws?.uses).toBe('aws-actions/configure-aws-credentials@v4');
    expect(String(aws?.with?.['role-to-assume'])).toMatch(/^\$\{\{ vars[.[]/);
    expect(aws?.with?.['aws-region']).toBe('${{ vars.AWS_REGION }}');
  }
  expect(jobs.test.permissions).toBeUndefined();
  expect(awsStep('test')).toBeUndefined();
  expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/i);
  expect(text).not.toMatch(/secrets\./);
});

test('two deploys of one stage never overlap, and a running deploy is never cancelled', () => {
  expect(jobs['deploy-dev'].concurrency).toEqual({ group: 'deploy-dev', 'cancel-in-progress': false });
  expect(jobs['deploy-prod'].concurrency).toEqual({ group: 'deploy-prod', 'cancel-in-progress': false });
});

test('every action is pinned to at least a major version', () => {
  const uses = Object.keys(jobs).flatMap((job) =>
    steps(job)
      .filter((s) => s.uses)
      .map((s) => s.uses!),
  );
  expect(uses.length).toBeGreaterThan(0);
  for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$/);
});

test('every npm script the workflow runs exists in package.json', () => {
  const used = [...text.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
  expect(new Set(used)).toEqual(new Set(['deploy', 'outputs', 'smoke']));
  // `npm test` is the test script; the rest must be declared (see the report for the lines to add).
  const missing = [...new Set([...used, 'test'])].filter((script) => !scripts.includes(script));
  expect(missing).toEqual([]);
});

describe('CI trust and session length', () => {
  const deployJobs = { 'deploy-dev': 'dev', 'deploy-prod': 'prod' } as const;

  test('each deploy job runs in the GitHub environment of its stage, the only subject its deploy role trusts', () => {
    // With an environment the OIDC subject is repo:ORG/REPO:environment:NAME (GitHub, OpenID
    // Connect reference, https://docs.github.com/en/actions/reference/openid-connect-reference),
    // which is what lib/stacks/ci-stack.ts trusts (ci.environment, default the stage's name).
    for (const [job, stage] of Object.entries(deployJobs)) {
      expect(jobs[job].environment).toBe(stage);
      expect(awsStep(job)?.with?.['role-to-assume']).toBe(`\${{ vars.AWS_DEPLOY_ROLE_ARN_${stage.toUpperCase()} }}`);
    }
    // The diff job stays outside any environment: its role trusts pull_request subjects only.
    expect(jobs.diff.environment).toBeUndefined();
  });

  test("each deploy session lasts as long as its job may run, within the deploy role's MaxSessionDuration", () => {
    // The OIDC role is assumed directly (AssumeRoleWithWebIdentity), not chained, so it may last up
    // to MaxSessionDuration (1 to 12 h); role chaining would cap it at 1 h ("Role chaining limits your
    // ... role session to a maximum of one hour", AssumeRole,
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). configure-aws-credentials
    // asks for 1 h unless told otherwise, shorter than the prod job.
    for (const job of Object.keys(deployJobs)) {
      const seconds = Number(awsStep(job)?.with?.['role-duration-seconds']);
      expect(seconds).toBeGreaterThanOrEqual(jobs[job]['timeout-minutes'] * 60);
      expect(seconds).toBeLessThanOrEqual(DEPLOY_ROLE_MAX_SESSION.toSeconds());
      expect(seconds).toBeLessThanOrEqual(12 * 3600);
    }
    expect(jobs['deploy-prod']['timeout-minutes']).toBe(120);
  });
});
