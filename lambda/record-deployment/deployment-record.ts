/**
 * The model deployment record: which model version went live, when, on which endpoint and
 * with what capacity. Written by the custom resource on every deployment and by the local
 * pipeline at start, through this one function.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { putNewItem } from '../shared/table';
import { keys } from '../../contract/table-design';

export interface DeploymentInfo {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly imageUri?: string;
  readonly modelDataUrl?: string;
  readonly endpointName: string;
  readonly endpointConfigName?: string;
  /** The endpoint capacity as configured (StageConfig endpoint.capacity). */
  readonly capacity: Readonly<Record<string, unknown>>;
  readonly stage: string;
  /**
   * The training set's statistics (model/src/training-stats.ts), kept for drift analysis.
   * About 2 KB for the built-in model; a DynamoDB item holds 400 KB, and the handler refuses
   * statistics over MAX_TRAINING_STATS_BYTES so the record always fits.
   */
  readonly trainingStats?: Readonly<Record<string, unknown>>;
  /** ISO-8601 UTC; now when omitted. */
  readonly deployedAt?: string;
}

export interface DeploymentRecord extends DeploymentInfo {
  readonly pk: string;
  readonly sk: string;
  readonly deployedAt: string;
}

/**
 * Writes the deployment record and returns it. Never replaces a record (a key is a time
 * and a version); throws ConditionalCheckFailedException if that exact key exists.
 */
export async function recordDeployment(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
  info: DeploymentInfo,
): Promise<DeploymentRecord> {
  const deployedAt = info.deployedAt ?? new Date().toISOString();
  const record: DeploymentRecord = { ...keys.deployment(deployedAt, info.modelVersion), ...info, deployedAt };
  const documents =
    client instanceof DynamoDBDocumentClient
      ? client
      : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await putNewItem(documents, tableName, record as unknown as Record<string, unknown>);
  return record;
}
