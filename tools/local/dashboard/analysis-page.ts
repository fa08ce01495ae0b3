/**
 * GET /dashboard/analysis: the analysis report (tools/analyze) of the local table, drawn
 * from the same query files `npm run analyze` runs, on DuckDB. Query parameters: `version`
 * (once, or twice to compare; default the two newest deployed versions) and `hours` (the
 * window up to now, default 24). The page is self-contained like the dashboard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TrainingStats } from '../../../model/src/training-stats';
import { analyseLocalTable } from '../../analyze/local-analysis';
import { esc, renderHtml, REPORT_CSP } from '../../analyze/render-html';

export const ANALYSIS_PATH = '/dashboard/analysis';
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export interface AnalysisPageProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly fallbackStats?: (version: string) => TrainingStats | undefined;
  readonly now?: () => number;
}

const NAV = `<nav style="margin:-8px 0 10px;font-size:13px"><a href="/dashboard">← dashboard</a></nav>`;

export function createAnalysisPageHandler(props: AnalysisPageProps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname.replace(/\/+$/, '') !== ANALYSIS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'MethodNotAllowed', message: `${req.method} is not supported on ${ANALYSIS_PATH}; use GET` }));
      return true;
    }
    const versions = url.searchParams.getAll('version');
    const hours = Number(url.searchParams.get('hours') ?? '24');
    const problem =
      versions.length > 2
        ? 'give version at most twice'
        : !versions.every((v) => VERSION.test(v))
          ? 'version must be 1 to 32 letters, digits, ., _ or -'
          : !(hours > 0 && hours <= 24 * 90)
            ? 'hours must be a number from 1 to 2160'
            : undefined;
    if (problem) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'ValidationError', message: problem }));
      return true;
    }
    const now = props.now?.() ?? Date.now();
    analyseLocalTable({
      client: props.client,
      tableName: props.tableName,
      versions,
      from: new Date(now - hours * 3_600_000).toISOString(),
      to: new Date(now).toISOString(),
      fallbackStats: props.fallbackStats,
    })
      .then((report) => {
        const body = 'empty' in report ? emptyPage(report.empty) : renderHtml(report, { nav: NAV });
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': REPORT_CSP,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      })
      .catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'InternalError', message: `the analysis failed: ${error.message.split('\n')[0]}` }));
      });
    return true;
  };
}

function emptyPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inference analysis</title></head><body style="font:14px system-ui;padding:24px">${NAV}<h1>Inference analysis</h1><p data-testid="empty">${esc(message)}</p></body></html>`;
}
