/**
 * `/_local/faults`: a local-only admin route (it exists in no deployed stack) that switches
 * faults on the local parts, to watch the alarms react on the local dashboard.
 *
 *   curl -s -X POST http://127.0.0.1:3000/_local/faults -d '{"model":{"status":500}}'
 *   curl -s -X POST http://127.0.0.1:3000/_local/faults -d '{"model":{"delayMs":2500}}'
 *   curl -s -X POST http://127.0.0.1:3000/_local/faults -d '{"table":{"refuseWrites":"throttle"}}'
 *   curl -s -X POST http://127.0.0.1:3000/_local/faults -d '{}'        # clears every fault
 *   curl -s http://127.0.0.1:3000/_local/faults                        # what is on
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { readBody, sendJson } from './http-server';
import type { ModelFaults } from './local-sagemaker-runtime';
import type { TableFaults } from './local-dynamodb';

export const FAULTS_PATH = '/_local/faults';

export interface LocalFaults {
  readonly model: ModelFaults;
  readonly table: TableFaults;
}

/** Replaces every fault with what `input` names; returns the problem, if any. */
export function applyFaults(faults: LocalFaults, input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'the body must be a JSON object: {"model": {...}, "table": {...}}';
  const { model = {}, table = {}, ...rest } = input as { model?: Record<string, unknown>; table?: Record<string, unknown> };
  if (Object.keys(rest).length > 0) return 'only model and table can be set';
  const status = model.status;
  if (status !== undefined && !(Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599))
    return 'model.status must be an HTTP error status from 400 to 599';
  const delayMs = model.delayMs;
  if (delayMs !== undefined && !(Number.isInteger(delayMs) && (delayMs as number) >= 0 && (delayMs as number) <= 120_000))
    return 'model.delayMs must be a whole number of milliseconds from 0 to 120000';
  const refuseWrites = table.refuseWrites;
  if (refuseWrites !== undefined && refuseWrites !== 'throttle' && refuseWrites !== 'system-error')
    return 'table.refuseWrites must be throttle or system-error';
  faults.model.status = status as number | undefined;
  faults.model.delayMs = delayMs as number | undefined;
  faults.table.refuseWrites = refuseWrites as TableFaults['refuseWrites'];
  return undefined;
}

export function createFaultsHandler(faults: LocalFaults): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== FAULTS_PATH) return false;
    if (req.method === 'GET') {
      sendJson(res, 200, faults);
      return true;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'MethodNotAllowed', message: `use GET or POST on ${FAULTS_PATH}` }, { allow: 'GET, POST' });
      return true;
    }
    void readBody(req, 64 * 1024).then(
      (body) => {
        let input: unknown;
        try {
          input = JSON.parse(body.toString('utf8') || '{}');
        } catch {
          return sendJson(res, 400, { error: 'ValidationError', message: 'the body is not valid JSON' });
        }
        const problem = applyFaults(faults, input);
        if (problem) return sendJson(res, 400, { error: 'ValidationError', message: problem });
        sendJson(res, 200, faults);
      },
      () => sendJson(res, 413, { error: 'PayloadTooLarge', message: 'at most 64 KiB' }),
    );
    return true;
  };
}
