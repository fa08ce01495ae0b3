/**
 * The read-only routes of the API:
 *
 * | route                                                   | reads                                   |
 * | ------------------------------------------------------- | --------------------------------------- |
 * | GET /inferences/{id}                                    | one record (404 NotFound if none)       |
 * | GET /inferences?modelVersion=&from=&to=&limit=&nextToken= | byModelVersion, newest first          |
 * | GET /inferences?status=failed&from=&to=&limit=&nextToken= | byFailure day partitions, newest first |
 * | GET /models?limit=&nextToken=                           | deployments, newest first               |
 *
 * Every parameter is validated (400 ValidationError naming it); answers are JSON with the
 * request id, like the prediction route's.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { loadReadConfig } from '../shared/env';
import { ApiError, errorResponse, INTERNAL_ERROR_MESSAGE, jsonResponse, requestIdOf } from '../shared/http';
import { beginInvocation, createLogger, errorFacts } from '../shared/observability';
import { createTableClient } from '../shared/table';
import { noQueryParameters, parseId, parseInferenceListQuery, parseModelsQuery } from './params';
import { getInference, listByModelVersion, listFailed, listModels, ReadTable } from './queries';

type ReadHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;
type Route = 'getInference' | 'listInferences' | 'listModels';

/** Attempts of one table call (throttling is retried within the request's time) and the time each may take. */
const READ_ATTEMPTS = 3;
const READ_ATTEMPT_TIMEOUT_MS = 2_000;
/** Kept back from the function's deadline to answer; without a Lambda context, the API's 29 s apply. */
const RESPOND_MARGIN_MS = 300;
const DEFAULT_TIME_MS = 29_000;

export function createReadHandler(tableName: string, indexShards?: number): ReadHandler {
  const logger = createLogger();
  // One attempt per send: withRetries makes the others, within the request's time.
  const client = createTableClient({ maxAttempts: 1, requestTimeoutMs: READ_ATTEMPT_TIMEOUT_MS });

  return async function read(event, context) {
    const requestId = requestIdOf(event, context?.awsRequestId ?? randomUUID());
    beginInvocation(logger, context, requestId);
    const route = routeOf(event);
    const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() : DEFAULT_TIME_MS) - RESPOND_MARGIN_MS;
    const table: ReadTable = {
      client,
      tableName,
      indexShards,
      budget: { deadline, maxAttempts: READ_ATTEMPTS, attemptTimeoutMs: READ_ATTEMPT_TIMEOUT_MS },
    };
    try {
      const body = await answer(route, event, table);
      logger.info('read request', { route, statusCode: 200, items: Array.isArray(body.items) ? body.items.length : 1 });
      return jsonResponse(200, body, requestId);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('InternalError', 500, INTERNAL_ERROR_MESSAGE);
      const log = apiError.statusCode >= 500 ? logger.error : logger.info;
      log.call(logger, 'read request', {
        route,
        statusCode: apiError.statusCode,
        errorKind: apiError.kind,
        ...(apiError === error ? {} : errorFacts(error)),
      });
      return errorResponse(apiError, requestId);
    }
  };

  async function answer(route: Route | undefined, event: APIGatewayProxyEvent, table: ReadTable): Promise<Record<string, unknown>> {
    switch (route) {
      case 'getInference': {
        noQueryParameters(event);
        const id = parseId(event.pathParameters?.id ?? /^\/inferences\/([^/]+)$/.exec(event.path)?.[1]);
        const record = await getInference(table, id);
        if (!record) throw new ApiError('NotFound', 404, 'no inference record with this id');
        return record;
      }
      case 'listInferences': {
        const query = parseInferenceListQuery(event, Date.now());
        return query.kind === 'version' ? listByModelVersion(table, query) : listFailed(table, query);
      }
      case 'listModels':
        return listModels(table, parseModelsQuery(event));
      default:
        throw new ApiError('NotFound', 404, 'no route for this method and path');
    }
  }
}

/** The route by API Gateway's resource template, or by path when the API proxies every path here. */
function routeOf(event: APIGatewayProxyEvent): Route | undefined {
  if (event.httpMethod !== 'GET') return undefined;
  switch (event.resource) {
    case '/inferences/{id}':
      return 'getInference';
    case '/inferences':
      return 'listInferences';
    case '/models':
      return 'listModels';
  }
  if (/^\/inferences\/[^/]+$/.test(event.path)) return 'getInference';
  if (/^\/inferences\/?$/.test(event.path)) return 'listInferences';
  if (/^\/models\/?$/.test(event.path)) return 'listModels';
  return undefined;
}

/** The deployed function, configured from its environment at cold start. */
const config = loadReadConfig(process.env);
export const handler: ReadHandler = createReadHandler(config.tableName, config.indexShards);
