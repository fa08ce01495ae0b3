import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  REPO_ROOT,
  UsageError,
  cdkFeatureFlags,
  loadStage,
  parseContextPairs,
  readCdkContext,
  resolveContextConfig,
} from '../../../tools/cli';
import { ConfigError } from '../../../lib/config/validate';

/** One reader of cdk.json's context for every tool, and one way to a stage's configuration. */
test('reads cdk.json at the repository root; the feature flags leave out the stage selection', () => {
  const context = readCdkContext();
  expect(context).toEqual(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context);
  const flags = cdkFeatureFlags();
  expect(flags).not.toHaveProperty('stage');
  expect(flags).not.toHaveProperty('stages');
  expect(Object.keys(flags).length).toBe(Object.keys(context).filter((k) => k !== 'stage' && k !== 'stages').length);
});

test('a cdk.json without context is an empty context', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-context-'));
  fs.writeFileSync(path.join(dir, 'cdk.json'), '{"app": "x"}');
  expect(readCdkContext(dir)).toEqual({});
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a stage resolves as cdk -c stage=NAME -c k=v does; bad stages and settings fail with the configuration message', () => {
  expect(loadStage('prod').stage).toBe('prod');
  expect(loadStage('dev', { 'model.version': '9.9.9' }).model.version).toBe('9.9.9');
  expect(resolveContextConfig({ stage: 'prod' })).toEqual(loadStage('prod'));
  expect(() => loadStage('qa')).toThrow(ConfigError);
  expect(() => loadStage('qa')).toThrow("unknown stage 'qa'");
});

test('-c pairs become context; the stage is chosen with --stage only', () => {
  expect(parseContextPairs(['model.version=1.1.0', 'tags.team=ml=ops'])).toEqual({ 'model.version': '1.1.0', 'tags.team': 'ml=ops' });
  expect(() => parseContextPairs(['model.version'])).toThrow(new UsageError("-c takes key=value, got 'model.version'"));
  expect(() => parseContextPairs(['=x'])).toThrow(new UsageError("-c takes key=value, got '=x'"));
  expect(() => parseContextPairs(['stage=prod'])).toThrow(new UsageError('choose the stage with --stage, not -c stage=...'));
});
