/**
 * `npm run analyze`: what the pipeline served, for one model version or two compared, over
 * a time window. Sources: the local pipeline's table (default), export files already on
 * disk (`--export-dir`), bulk synthetic records (`--synthetic N`), or the deployed table via
 * its S3 export and Athena (`--aws`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ParsedOptions, UsageError, formatHelp, parseContextPairs, parseOptions } from '../cli';
import { resolveStageConfig } from '../../lib/config/load-config';
import { resourcePrefix, StageConfig } from '../../lib/config/stage-config';
import { REPO_PATHS } from '../../contract/repo-paths';
import { parseTrainingStats, TrainingStats } from '../../model/src/training-stats';
import { startLocalDynamoDb } from '../local/local-dynamodb';
import { analyse, AnalysisReport, CohortSpec, overallVerdict } from './analysis';
import { AnalysisEngine, DuckDbEngine } from './duckdb-engine';
import { exportLocalTable, ExportWriter, latestDeployments } from './local-records';
import { renderHtml } from './render-html';
import { renderCsv, renderJson, renderText } from './render-text';
import { syntheticRecords, toDynamoJson } from './synthetic';

export const ANALYZE_OPTIONS = {
  version: { type: 'list', value: 'V', description: "model version to analyse; give it twice to compare two (default: the stage's)" },
  from: { type: 'string', value: 'ISO', description: 'window start (default: 24 hours before --to)' },
  to: { type: 'string', value: 'ISO', description: 'window end (default: now)' },
  'baseline-from': { type: 'string', value: 'ISO', description: 'compare one version with itself over an earlier window: its start' },
  'baseline-to': { type: 'string', value: 'ISO', description: "the earlier window's end (default: --from)" },
  format: { type: 'string', value: 'F', description: 'table (default), json, csv or html' },
  out: { type: 'string', value: 'FILE', description: 'write there instead of stdout (html defaults to analysis-report.html)' },
  stage: { type: 'string', value: 'NAME', description: 'stage whose table and settings to use (default dev)' },
  'data-dir': { type: 'string', value: 'DIR', description: "the local pipeline's data folder (default .local/STAGE)" },
  'export-dir': {
    type: 'string',
    value: 'DIR',
    description: 'analyse DynamoDB export files already on disk (AWSDynamoDB/<id>/data/*.json.gz)',
  },
  synthetic: { type: 'string', value: 'N', description: 'analyse N generated records: versions 1.0.0 and 1.1.0 (drifted), last 24 hours' },
  'payload-mode': { type: 'string', value: 'M', description: 'with --synthetic: full (default), hash or none' },
  aws: { type: 'boolean', description: 'the deployed table: start or reuse its S3 export, then query it with Athena' },
  'max-export-age-hours': { type: 'string', value: 'H', description: 'with --aws: reuse an export younger than this (default 24)' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'override a setting, as with cdk' },
  'fail-on-drift': { type: 'boolean', description: "exit 3 when any feature's verdict is drift" },
} as const;

export const ANALYZE_HELP = {
  usage: 'npm run analyze -- [options]',
  summary: 'Compares model versions (requests, errors, latency, predictions) and scores input drift against the training data.',
  examples: ['npm run analyze -- --version 1.0.0 --version 1.1.0', 'npm run analyze -- --synthetic 100000 --format html'],
};

export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now?: () => Date;
  readonly cwd?: string;
}

const REPO_ROOT = path.join(__dirname, '..', '..');

/** Runs the analysis for a command line (the tests' entry; `main.ts` goes through the kit). */
export async function runAnalyze(argv: readonly string[], io: CommandIo): Promise<number> {
  const options = parseOptions(argv, ANALYZE_OPTIONS);
  if (options.help) {
    io.out(formatHelp(ANALYZE_HELP, ANALYZE_OPTIONS));
    return 0;
  }
  return analyzeWith(options, io);
}

export async function analyzeWith(o: ParsedOptions<typeof ANALYZE_OPTIONS>, io: CommandIo): Promise<number> {
  const values = {
    ...o,
    version: o.version ?? [],
    format: o.format ?? 'table',
    'payload-mode': o['payload-mode'] ?? 'full',
    aws: o.aws ?? false,
    'max-export-age-hours': o['max-export-age-hours'] ?? '24',
    'fail-on-drift': o['fail-on-drift'] ?? false,
  };
  const format = values.format!;
  if (!['table', 'json', 'csv', 'html'].includes(format))
    throw new UsageError(`--format must be table, json, csv or html, got '${format}'`);
  const context: Record<string, unknown> = parseContextPairs(values.context ?? []);
  if (values.stage) context.stage = values.stage;
  const config = resolveStageConfig(context);
  const now = io.now ?? (() => new Date());
  const to = values.to ? isoArg('--to', values.to) : now().toISOString();
  const from = values.from ? isoArg('--from', values.from) : new Date(Date.parse(to) - 86_400_000).toISOString();
  if (from > to) throw new UsageError(`--from (${from}) must not be after --to (${to})`);

  const synthetic = values.synthetic === undefined ? undefined : Number(values.synthetic);
  if (synthetic !== undefined && !(Number.isInteger(synthetic) && synthetic >= 2 && synthetic <= 10_000_000))
    throw new UsageError(`--synthetic must be a whole number from 2 to 10000000, got '${values.synthetic}'`);
  const versions = values.version!.length > 0 ? values.version! : synthetic ? ['1.0.0', '1.1.0'] : [config.model.version];
  if (versions.length > 2) throw new UsageError(`give --version at most twice (one version, or two to compare), got ${versions.length}`);
  const baselineWindow = values['baseline-from'] || values['baseline-to'];
  if (baselineWindow && versions.length !== 1)
    throw new UsageError('--baseline-from/--baseline-to compare one version over two windows; give one --version');
  const sources = [values.aws, values['export-dir'] !== undefined, synthetic !== undefined].filter(Boolean).length;
  if (sources > 1) throw new UsageError('give at most one of --aws, --export-dir and --synthetic');

  const bundled = bundledTrainingStats(config);
  const cohortsWith = (stats: (version: string) => TrainingStats | undefined): CohortSpec[] => {
    if (baselineWindow) {
      const bTo = values['baseline-to'] ? isoArg('--baseline-to', values['baseline-to']) : from;
      const bFrom = values['baseline-from']
        ? isoArg('--baseline-from', values['baseline-from'])
        : new Date(Date.parse(bTo) - (Date.parse(to) - Date.parse(from))).toISOString();
      return [
        {
          label: `${versions[0]} (${bFrom.slice(0, 16)} to ${bTo.slice(0, 16)})`,
          modelVersion: versions[0],
          from: bFrom,
          to: bTo,
          trainingStats: stats(versions[0]),
        },
        {
          label: `${versions[0]} (${from.slice(0, 16)} to ${to.slice(0, 16)})`,
          modelVersion: versions[0],
          from,
          to,
          trainingStats: stats(versions[0]),
        },
      ];
    }
    return versions.map((v) => ({ label: v, modelVersion: v, from, to, trainingStats: stats(v) }));
  };

  let engine: AnalysisEngine;
  let cohorts: CohortSpec[];
  const temp: string[] = [];
  try {
    if (values.aws) {
      // Loaded only for --aws: the local analysis never loads the AWS SDK clients.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load, see above
      const { openAwsEngine }: typeof import('./aws/aws-engine') = require('./aws/aws-engine');
      const aws = await openAwsEngine(config, { maxExportAgeHours: Number(values['max-export-age-hours']), progress: io.err, now });
      engine = aws.engine;
      cohorts = cohortsWith((v) => aws.trainingStats.get(v) ?? (v === config.model.version ? bundled : undefined));
    } else if (values['export-dir'] !== undefined) {
      engine = await DuckDbEngine.open(path.resolve(io.cwd ?? process.cwd(), values['export-dir']));
      cohorts = cohortsWith((v) => (v === config.model.version ? bundled : undefined));
    } else if (synthetic !== undefined) {
      const mode = values['payload-mode']!;
      if (!['full', 'hash', 'none'].includes(mode)) throw new UsageError(`--payload-mode must be full, hash or none, got '${mode}'`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-synthetic-'));
      temp.push(dir);
      const started = Date.now();
      const writer = new ExportWriter(dir, 'synthetic');
      const half = Math.floor(synthetic / 2);
      const cohortsGenerated =
        versions.length === 2
          ? [
              { modelVersion: versions[0], records: half },
              { modelVersion: versions[1], records: synthetic - half, drift: 1 },
            ]
          : [{ modelVersion: versions[0], records: synthetic }];
      for (const r of syntheticRecords({
        cohorts: cohortsGenerated,
        start: from,
        spanMs: Date.parse(to) - Date.parse(from),
        payloadMode: mode as 'full',
      }))
        await writer.write(toDynamoJson(r));
      await writer.close();
      io.err(`generated ${synthetic} synthetic records in ${Date.now() - started} ms`);
      engine = await DuckDbEngine.open(dir);
      cohorts = cohortsWith(() => bundled);
    } else {
      const dataDir = path.resolve(values['data-dir'] ?? path.join(REPO_ROOT, '.local', config.stage));
      const dynamoDir = path.join(dataDir, 'dynamodb');
      if (!fs.existsSync(dynamoDir))
        throw new UsageError(
          `no local pipeline data in ${dataDir}: run \`npm start -- --demo\` (or npm start) first, or pass --data-dir, --export-dir or --synthetic`,
        );
      const tableName = `${resourcePrefix(config)}-inferences`;
      const local = await startLocalDynamoDb({ tableName, dataDir: dynamoDir });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-local-'));
      temp.push(dir);
      let deployments;
      try {
        const layout = await exportLocalTable(local.client, tableName, dir);
        deployments = await latestDeployments(local.client, tableName);
        io.err(`read ${layout.itemCount} inference records from ${tableName} (${dynamoDir})`);
      } finally {
        await local.close();
      }
      engine = await DuckDbEngine.open(dir);
      cohorts = cohortsWith(
        (v) => parseTrainingStats(deployments.get(v)?.trainingStats) ?? (v === config.model.version ? bundled : undefined),
      );
    }

    let report: AnalysisReport;
    try {
      report = await analyse(engine, cohorts, now);
    } finally {
      await engine.close();
    }
    const text =
      format === 'json'
        ? renderJson(report)
        : format === 'csv'
          ? renderCsv(report)
          : format === 'html'
            ? renderHtml(report)
            : renderText(report);
    const outFile = values.out ?? (format === 'html' ? 'analysis-report.html' : undefined);
    if (outFile) {
      const target = path.resolve(io.cwd ?? process.cwd(), outFile);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      io.err(`wrote ${target}`);
      if (format !== 'table') io.out(renderText(report));
    } else io.out(text);
    return values['fail-on-drift'] && overallVerdict(report) === 'drift' ? 3 : 0;
  } finally {
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The built-in artifact's training statistics, when the stage serves the built-in model. */
export function bundledTrainingStats(config: StageConfig): TrainingStats | undefined {
  if (config.model.modelDataUrl) return undefined;
  const file = path.join(REPO_ROOT, REPO_PATHS.modelTrainingStats);
  return fs.existsSync(file) ? parseTrainingStats(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined;
}

function isoArg(name: string, raw: string): string {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw) || !/(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(ms)) {
    throw new UsageError(`${name} must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z, got '${raw}'`);
  }
  return new Date(ms).toISOString();
}
