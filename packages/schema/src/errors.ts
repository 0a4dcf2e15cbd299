/**
 * The error catalogue: every error Bulwark reports has a stable code, an HTTP status and a one-line meaning.
 * API errors are rendered as `{error:{code,message,details}}`; per-record ingest errors carry the same codes.
 * docs/errors.md is generated from this table (packages/schema/scripts/generate-error-docs.ts); a test keeps it
 * current and checks that every code is raised somewhere in production code, so it lists no code Bulwark never reports.
 */
export const ErrorCatalogue = {
  BWK_AUTH_MISSING: { status: 401, meaning: 'no credentials were sent' },
  BWK_AUTH_INVALID: { status: 401, meaning: 'the credentials are not valid' },
  BWK_AUTH_FORBIDDEN: { status: 403, meaning: 'the token lacks the scope this route needs' },
  BWK_AUTH_SOURCE_FORBIDDEN: { status: 403, meaning: 'the token may not speak for the source kind of this route (its `sources` restriction)' },
  BWK_CSRF_INVALID: {
    status: 403,
    meaning: 'a state-changing request authenticated by the console session cookie lacks its X-CSRF-Token, or comes from another origin',
  },
  BWK_SIGNIN_THROTTLED: { status: 429, meaning: 'too many failed sign-ins from this address; retry after the Retry-After delay' },
  BWK_CONSOLE_NOT_BUILT: { status: 503, meaning: 'the console bundle is not built; run `npm run build` (or `npm install`)' },
  BWK_SELF_APPROVAL: { status: 403, meaning: 'separation of duties: the requester of a run cannot decide its approvals' },
  BWK_NOT_FOUND: { status: 404, meaning: 'no such resource' },
  BWK_ROUTE_NOT_FOUND: { status: 404, meaning: 'no such route' },
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
  BWK_STORE_REFUSED: {
    status: 400,
    meaning: 'the store refused a well-formed record (a search engine mapping conflict); it is kept in the dead-letter index, retrying does not help',
  },
  BWK_BUS_UNAVAILABLE: { status: 503, meaning: 'the events were stored but could not be handed to detection; retry later' },
  BWK_OVERLOADED: { status: 429, meaning: 'Bulwark is saturated; retry after the Retry-After delay' },
  BWK_CONFIG_INVALID: { status: 500, meaning: 'the configuration is invalid (details.problems lists every problem when there are several)' },
  BWK_SIGMA_RULE_INVALID: { status: 400, meaning: 'a Sigma rule or correlation does not validate; details.problems lists every problem (file, path, message)' },
  BWK_INTERNAL: { status: 500, meaning: 'an unexpected error; see the server log' },
  BWK_VERSION_REQUIRED: { status: 428, meaning: 'send the version you read (If-Match header or body "version")' },
  BWK_CASE_INVALID_STATE: { status: 409, meaning: 'the operation does not apply to the record in its current state' },
  BWK_DATA_DIR_IN_USE: { status: 409, meaning: 'a running Bulwark holds the data directory (restore into it only once every process using it has stopped)' },
  BWK_BACKUP_INVALID: { status: 400, meaning: 'a backup directory is incomplete or damaged: a file is missing, differs from its manifest, or fails SQLite\'s integrity check' },
  BWK_UPSTREAM_FAILED: {
    status: 502,
    meaning: 'a system Bulwark called (a webhook, an identity provider, the server the CLI talks to) failed, timed out or answered an unexpected status',
  },
  BWK_RESPONDER_NOT_CONFIGURED: {
    status: 503,
    meaning: 'this api process forwards the runs API (playbooks, actions, runs, responder) to no responder: set `api.responder_url` (BULWARK_API_RESPONDER_URL)',
  },
  BWK_RESPONDER_UNREACHABLE: { status: 502, meaning: 'the api could not reach the responder it forwards the runs API to, or the responder broke off its answer; retry later' },
  BWK_RESPONDER_TIMEOUT: { status: 504, meaning: 'the responder the api forwards the runs API to did not answer within `api.responder_timeout`; retry later' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalogue;

/**
 * What every error's details may carry: the offending field (a dotted path in the body, the configuration or the
 * query), and any other JSON values that help the caller fix the request.
 */
export interface BaseDetails {
  /** Dotted path of the offending field, when there is one. */
  field?: string;
  [key: string]: unknown;
}

/** A problem found while validating a file: where, and what is wrong. */
export interface FileProblem {
  file?: string;
  /** Dotted path inside the file (or the configuration key). */
  path: string;
  message: string;
  /** Where a configuration value came from (a file or an environment variable). */
  source?: string;
}

/**
 * The details each code carries. Keys named here have the given type; a code whose details have a required key
 * must be raised with them (`new BulwarkError(code, message, details)` does not compile otherwise).
 */
export interface ErrorDetailsByCode {
  BWK_AUTH_MISSING: BaseDetails & { scope?: string };
  BWK_AUTH_FORBIDDEN: BaseDetails & { scope: string; granted: readonly string[] };
  BWK_AUTH_SOURCE_FORBIDDEN: BaseDetails & { route: string; route_sources: readonly string[]; token_sources: readonly string[] };
  BWK_SELF_APPROVAL: BaseDetails & { id: string; step: string };
  BWK_ROUTE_NOT_FOUND: BaseDetails & { method?: string; path?: string };
  BWK_BAD_PARAM: BaseDetails & { param: string; reason?: string };
  BWK_QUERY_SYNTAX: BaseDetails & { position: number; query: string };
  BWK_INGEST_BAD_JSON: BaseDetails & { reason?: string };
  BWK_INGEST_TOO_LARGE: BaseDetails & { limit?: number };
  BWK_URI_TOO_LONG: BaseDetails & { limit_bytes: number };
  BWK_HEADERS_TOO_LARGE: BaseDetails & { limit_bytes: number };
  BWK_CONFLICT: BaseDetails & { collection?: string; id?: string };
  BWK_INGEST_REJECTED_RECORDS: BaseDetails & { accepted: number; created: number; duplicates: number; rejected: number; errors: readonly RecordError[] };
  BWK_STORE_REFUSED: BaseDetails & { type?: string; reason?: string };
  BWK_BUS_UNAVAILABLE: BaseDetails & { queue?: string; timeoutMs?: number; closed?: boolean; reason?: string };
  BWK_CONFIG_INVALID: BaseDetails & { problems?: readonly FileProblem[] };
  BWK_SIGMA_RULE_INVALID: BaseDetails & { problems: readonly FileProblem[] };
  BWK_VERSION_REQUIRED: BaseDetails & { field: 'version'; header: 'if-match' };
  BWK_UPSTREAM_FAILED: BaseDetails & { upstream_status?: number };
  BWK_RESPONDER_UNREACHABLE: BaseDetails & { responder: string; reason: string };
  BWK_RESPONDER_TIMEOUT: BaseDetails & { responder: string; timeout_ms: number };
  BWK_DATA_DIR_IN_USE: BaseDetails & { data_dir: string; file: string };
  BWK_BACKUP_INVALID: BaseDetails & { dir: string; file?: string; reason: string };
}

/** The details of `C`: its own type when the map names one, else {@link BaseDetails}. */
export type ErrorDetails<C extends ErrorCode> = C extends keyof ErrorDetailsByCode ? ErrorDetailsByCode[C] : BaseDetails;

/** The constructor's details argument: required when the code's details have a required key, optional otherwise. */
type DetailsArg<C extends ErrorCode> = C extends ErrorCode ? (BaseDetails extends ErrorDetails<C> ? [details?: ErrorDetails<C>] : [details: ErrorDetails<C>]) : never;

/** An error with a catalogue code; the HTTP layer renders it as `{error:{code,message,details}}`. */
class CatalogueError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: BaseDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: BaseDetails) {
    super(message);
    this.name = 'BulwarkError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: BaseDetails } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/**
 * How `BulwarkError` is constructed: the code decides the type of the details (see {@link ErrorDetailsByCode}). A
 * subclass names its code: `class OutboundError extends BulwarkError<'BWK_UPSTREAM_FAILED'>`.
 */
export interface BulwarkErrorConstructor {
  new <C extends ErrorCode>(code: C, message: string, ...details: DetailsArg<C>): CatalogueError;
  readonly prototype: CatalogueError;
}

/** An error with a catalogue code; the HTTP layer renders it as `{error:{code,message,details}}`. */
export const BulwarkError = CatalogueError as BulwarkErrorConstructor;
export type BulwarkError = CatalogueError;

/** A problem with one record of a batch; the rest of the batch is still stored. */
export interface RecordError {
  /** Zero-based position of the record in the request (line, array element, stream entry…). */
  index: number;
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending field, when there is one. */
  field?: string;
}
