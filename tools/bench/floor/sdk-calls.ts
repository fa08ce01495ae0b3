/**
 * CPU floor of the handler's AWS calls: the same two SDK calls the prediction handler makes
 * (InvokeEndpoint, then a conditional PutItem of a record-sized item through the document
 * client), with nothing else, bundled with PipelineFunction.bundling. `npm run bench`
 * subtracts it from the handler's CPU to tell our code from the SDK's.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const sagemaker = new SageMakerRuntimeClient({});
const table = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const answer = await sagemaker.send(
    new InvokeEndpointCommand({
      EndpointName: process.env.ENDPOINT_NAME,
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: event.body ?? '',
    }),
  );
  const id = event.requestContext.requestId;
  const createdAt = new Date().toISOString();
  await table.send(
    new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: {
        pk: `INFERENCE#${id}`,
        sk: 'RECORD',
        gsi1pk: 'MODEL#1.0.0',
        gsi1sk: `${createdAt}#${id}`,
        requestId: id,
        createdAt,
        status: 'SUCCESS',
        httpStatus: 200,
        caller: { type: 'anonymous', sourceIp: '127.0.0.1', userAgent: 'bench' },
        modelName: 'iris-classifier',
        modelVersion: '1.0.0',
        endpointName: process.env.ENDPOINT_NAME,
        variant: answer.InvokedProductionVariant,
        input: { mode: 'full', sizeBytes: 33, sha256: '0'.repeat(64), body: event.body },
        output: {
          mode: 'full',
          sizeBytes: answer.Body?.length ?? 0,
          sha256: '0'.repeat(64),
          body: Buffer.from(answer.Body ?? []).toString('utf8'),
        },
        latencyMs: 5,
        modelLatencyMs: 4,
        expiresAt: Math.floor(Date.now() / 1000) + 7 * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    }),
  );
  return { statusCode: 200, body: '' };
};
