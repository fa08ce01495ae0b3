/**
 * HTTP answers of the API: always JSON, always carrying the request id (in the body of
 * errors and in the `x-request-id` header), never an SDK message, stack trace or ARN.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ErrorKind, ReadErrorKind, REQUEST_ID_HEADER } from '../../contract/handlers';

export type ApiErrorKind = ErrorKind | ReadErrorKind;

/** Status of each error kind the prediction route answers with. */
export const STATUS_OF: Readonly<Record<ErrorKind, number>> = {
  ValidationError: 400,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  IdempotencyConflict: 409,
  ModelRejectedInput: 422,
  ModelError: 502,
  EndpointThrottled: 503,
  EndpointNotFound: 503,
  ModelNotReady: 503,
  EndpointTimeout: 504,
  InternalError: 500,
};

/**
 * A failure meant for the client: its kind, status and a message safe to show. Anything
 * thrown that is not an ApiError becomes a 500 InternalError with a generic message.
 */
export class ApiError<K extends ApiErrorKind = ApiErrorKind> extends Error {
  constructor(
    readonly kind: K,
    readonly statusCode: number,
    message: string,
    /** Seconds for `Retry-After`, on answers the client should retry later. */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An ApiError of one of the prediction kinds, with its status from STATUS_OF. */
export function apiError(kind: ErrorKind, message: string, retryAfterSec?: number): ApiError<ErrorKind> {
  return new ApiError(kind, STATUS_OF[kind], message, retryAfterSec);
}

export const INTERNAL_ERROR_MESSAGE = 'internal error; quote the requestId when reporting it';

/** The prediction-route error a thrown value stands for: itself, or a 500 InternalError. */
export function asApiError(error: unknown): ApiError<ErrorKind> {
  return error instanceof ApiError && error.kind in STATUS_OF
    ? (error as ApiError<ErrorKind>)
    : apiError('InternalError', INTERNAL_ERROR_MESSAGE);
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: requestId,
      // Answers are per request (and records may hold personal data): never cache them.
      'cache-control': 'no-store',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: ApiError, requestId: string): APIGatewayProxyResult {
  const headers: Record<string, string> = {};
  if (error.retryAfterSec !== undefined) headers['retry-after'] = String(error.retryAfterSec);
  return jsonResponse(error.statusCode, { error: error.kind, message: error.message, requestId }, requestId, headers);
}

/** A header's value whatever its case (API Gateway passes headers as the client sent them). */
export function header(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** What a request id may be: it becomes a table key and an S3 path, and `GET /inferences/{id}` takes only this. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The id a request is known by: API Gateway's request id (also the log correlation id);
 * the Lambda request id when invoked without API Gateway, or with an id that is not one.
 */
export function requestIdOf(event: { requestContext?: { requestId?: string } | null }, awsRequestId: string): string {
  const apiRequestId = event.requestContext?.requestId;
  return apiRequestId && REQUEST_ID_PATTERN.test(apiRequestId) ? apiRequestId : awsRequestId;
}
