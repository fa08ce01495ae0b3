import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InferenceRecord, parseFallbackLine, recordChecksum } from '../../lambda/shared/record';
import { withRetries } from '../../lambda/shared/retry';
import { isConditionFailure, putNewItem } from '../../lambda/shared/table';
import type { LogMessage } from './log-messages';

/**
 * Puts the records of fallback lines back into the table. Each is put as it was logged,
 * on the condition that its key is free, so running a backfill again (or over overlapping
 * exports) writes nothing twice: a record already there is counted, not rewritten.
 */

export interface BackfillCounts {
  /** Fallback lines read, whatever became of them. */
  found: number;
  written: number;
  /** Their key was taken: written by an earlier backfill, or by the function itself. */
  alreadyPresent: number;
  /** Refused: edited, damaged, or not a record the function writes (parseFallbackLine). */
  invalid: number;
  /** The same record again in the input (the sum of the others counts it once). */
  duplicates: number;
  /** The table refused them for another reason (after retries): run again later. */
  failed: number;
  /** Dry run: what a real run would try to put. */
  wouldWrite: number;
}

export interface BackfillOptions {
  readonly tableName: string;
  /** Absent in a dry run: nothing is sent. */
  readonly client?: DynamoDBDocumentClient;
  /** Writes in flight at once. @default 8 */
  readonly concurrency?: number;
  /** A line refused or a record not written: where, why, and its request id when known. Never the line itself (it may hold payloads). */
  readonly onProblem?: (problem: { where: string; reason: string; requestId?: string }) => void;
}

/** Time one put, retries included, may take, and one attempt of it. */
const PUT_DEADLINE_MS = 30_000;
const PUT_ATTEMPT_TIMEOUT_MS = 5_000;
const PUT_ATTEMPTS = 5;

export async function backfill(messages: AsyncIterable<LogMessage>, options: BackfillOptions): Promise<BackfillCounts> {
  const counts: BackfillCounts = { found: 0, written: 0, alreadyPresent: 0, invalid: 0, duplicates: 0, failed: 0, wouldWrite: 0 };
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();

  for await (const message of messages) {
    const line = parseFallbackLine(message.text);
    if (line.kind === 'other') continue;
    counts.found++;
    if (line.kind === 'invalid') {
      counts.invalid++;
      options.onProblem?.({ where: message.where, reason: line.reason, requestId: line.requestId });
      continue;
    }
    const identity = `${line.record.requestId}:${recordChecksum(line.record)}`;
    if (seen.has(identity)) {
      counts.duplicates++;
      continue;
    }
    seen.add(identity);
    if (!options.client) {
      counts.wouldWrite++;
      continue;
    }
    const write = put(options.client, line.record, message.where).finally(() => inFlight.delete(write));
    inFlight.add(write);
    if (inFlight.size >= (options.concurrency ?? 8)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return counts;

  async function put(client: DynamoDBDocumentClient, record: InferenceRecord, where: string): Promise<void> {
    try {
      await withRetries((abortSignal) => putNewItem(client, options.tableName, record as unknown as Record<string, unknown>, abortSignal), {
        deadline: Date.now() + PUT_DEADLINE_MS,
        maxAttempts: PUT_ATTEMPTS,
        attemptTimeoutMs: PUT_ATTEMPT_TIMEOUT_MS,
      });
      counts.written++;
    } catch (error) {
      if (isConditionFailure(error)) {
        counts.alreadyPresent++;
        return;
      }
      counts.failed++;
      const name = (error as { name?: unknown })?.name;
      options.onProblem?.({
        where,
        reason: `the table refused it: ${typeof name === 'string' ? name : 'error'}`,
        requestId: record.requestId,
      });
    }
  }
}
