/**
 * The error catalogue: every error Bulwark reports has a stable code, an HTTP status and a one-line meaning.
 * API errors are rendered as `{error:{code,message,details}}`; per-record ingest errors carry the same codes.
 */
export const ErrorCatalogue = {
  BWK_AUTH_MISSING: { status: 401, meaning: 'no credentials were sent' },
  BWK_AUTH_INVALID: { status: 401, meaning: 'the credentials are not valid' },
  BWK_AUTH_FORBIDDEN: { status: 403, meaning: 'the token lacks the scope this route needs' },
  BWK_AUTH_SOURCE_FORBIDDEN: { status: 403, meaning: 'the token may not speak for the source kind of this route (its `sources` restriction)' },
  BWK_SELF_APPROVAL: { status: 403, meaning: 'separation of duties: the requester of a run cannot decide its approvals' },
  BWK_NOT_FOUND: { status: 404, meaning: 'no such resource' },
  BWK_ROUTE_NOT_FOUND: { status: 404, meaning: 'no such route' },
  BWK_METHOD_NOT_ALLOWED: { status: 405, meaning: 'the route does not take this method' },
  BWK_BAD_REQUEST: { status: 400, meaning: 'the request is malformed' },
  BWK_BAD_PARAM: { status: 400, meaning: 'a query or path parameter is invalid' },
  BWK_QUERY_SYNTAX: { status: 400, meaning: 'the search query does not parse' },
  BWK_INGEST_BAD_JSON: { status: 400, meaning: 'a record is not valid JSON' },
  BWK_INGEST_BAD_LINE: { status: 400, meaning: 'a line does not follow the protocol' },
  BWK_INGEST_BAD_FIELD: { status: 400, meaning: 'a field has the wrong type or value' },
  BWK_INGEST_BAD_ACTION: { status: 400, meaning: 'a bulk action line is not index or create' },
  BWK_INGEST_TOO_DEEP: { status: 400, meaning: 'a record nests deeper than allowed' },
  BWK_INGEST_FORBIDDEN_KEY: { status: 400, meaning: 'a record uses a reserved key such as __proto__' },
  BWK_INGEST_BAD_ENCODING: { status: 400, meaning: 'the bytes are not valid in the declared charset' },
  BWK_INGEST_BAD_GZIP: { status: 400, meaning: 'the body is not valid gzip' },
  BWK_INGEST_BAD_PROTOBUF: { status: 400, meaning: 'the body is not a valid protobuf message' },
  BWK_INGEST_EMPTY: { status: 400, meaning: 'the body holds no records' },
  BWK_INGEST_TOO_LARGE: { status: 413, meaning: 'the body is larger than the configured limit' },
  BWK_URI_TOO_LONG: { status: 414, meaning: 'the request URL is longer than the HTTP limit' },
  BWK_HEADERS_TOO_LARGE: { status: 431, meaning: 'the request headers are larger than the HTTP limit' },
  BWK_INGEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'the content type or encoding is not supported' },
  BWK_INGEST_DUPLICATE: { status: 409, meaning: 'an event with this id already exists' },
  BWK_CONFLICT: { status: 409, meaning: 'the record already exists, or changed since you read it' },
  BWK_INGEST_REJECTED_RECORDS: {
    status: 400,
    meaning: 'some records were rejected (see details.errors); every other record of the request was stored',
  },
  BWK_STORE_UNAVAILABLE: { status: 503, meaning: 'the store cannot be reached; retry later' },
  BWK_BUS_UNAVAILABLE: { status: 503, meaning: 'the events were stored but could not be handed to detection; retry later' },
  BWK_OVERLOADED: { status: 429, meaning: 'Bulwark is saturated; retry after the Retry-After delay' },
  BWK_CONFIG_INVALID: { status: 500, meaning: 'the configuration is invalid' },
  BWK_INTERNAL: { status: 500, meaning: 'an unexpected error; see the server log' },
  BWK_VERSION_REQUIRED: { status: 428, meaning: 'send the version you read (If-Match header or body "version")' },
  BWK_CASE_INVALID_STATE: { status: 409, meaning: 'the operation does not apply to the record in its current state' },
  BWK_UPSTREAM_FAILED: { status: 502, meaning: 'a system an action called (a webhook, an identity provider) failed, timed out or answered an unexpected status' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** An error with a catalogue code; the HTTP layer renders it as `{error:{code,message,details}}`. */
export class BulwarkError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'BulwarkError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A problem with one record of a batch; the rest of the batch is still stored. */
export interface RecordError {
  /** Zero-based position of the record in the request (line, array element, stream entry…). */
  index: number;
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending field, when there is one. */
  field?: string;
}
