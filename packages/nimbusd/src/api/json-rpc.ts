/**
 * JSON-RPC 2.0 as the SSH API speaks it: one request object per line in, one response
 * object per line out. Batches are not accepted (one line, one call keeps the in-flight
 * limit and the audit log one-to-one with calls).
 */

/** The error codes of the JSON-RPC 2.0 spec, plus the API's own in the server range. */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The object does not exist, or belongs to someone else: the answer is the same. */
  NOT_FOUND: -32004,
  /** The caller's role may not call this method. */
  FORBIDDEN: -32003,
  /** Something else holds what the call asked for (a machine, an idempotency key); `data.reason` says what. */
  CONFLICT: -32009,
  /** A connection limit: a line too long, too many calls in flight. */
  LIMIT_EXCEEDED: -32005,
  /** The site cannot do this for this object now (no serial console on its BMC, the BMC not answering). */
  UNAVAILABLE: -32010,
} as const;

export type RpcId = string | number | null;

export interface RpcRequest {
  jsonrpc: '2.0';
  id?: RpcId;
  method: string;
  params?: unknown;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

export type RpcResponse =
  | { jsonrpc: '2.0'; id: RpcId; result: unknown }
  | { jsonrpc: '2.0'; id: RpcId; error: RpcErrorObject };

/** A call that fails with a JSON-RPC error; methods throw it, the server answers with it. */
export class RpcError extends Error {
  readonly code = 'RPC_ERROR';
  readonly rpcCode: number;
  readonly data: Record<string, unknown> | undefined;

  constructor(rpcCode: number, message: string, data?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RpcError';
    this.rpcCode = rpcCode;
    this.data = data;
  }

  toObject(): RpcErrorObject {
    return this.data === undefined ? { code: this.rpcCode, message: this.message } : { code: this.rpcCode, message: this.message, data: this.data };
  }
}

/** One line parsed: a request to run, or the error response it gets without running. */
export type ParsedLine = { ok: true; request: RpcRequest } | { ok: false; response: RpcResponse };

/** Parses one line of input into a request, or the `-32700`/`-32600` response it deserves. */
export function parseRequestLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return fail(null, new RpcError(RPC_ERRORS.PARSE_ERROR, `parse error: ${(err as Error).message}`));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(null, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'invalid request: expected one JSON-RPC request object per line (batches are not accepted)'));
  }
  const obj = value as Record<string, unknown>;
  const id = obj.id;
  const validId = id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
  const answerId: RpcId = validId ? ((id ?? null) as RpcId) : null;
  if (obj.jsonrpc !== '2.0') return fail(answerId, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"'));
  if (!validId) return fail(null, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null'));
  if (typeof obj.method !== 'string' || obj.method === '') {
    return fail(answerId, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'invalid request: "method" must be a non-empty string'));
  }
  if (obj.params !== undefined && (typeof obj.params !== 'object' || obj.params === null)) {
    return fail(answerId, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'invalid request: "params" must be an object or an array'));
  }
  const request: RpcRequest = { jsonrpc: '2.0', method: obj.method };
  if (id !== undefined) request.id = id as RpcId;
  if (obj.params !== undefined) request.params = obj.params;
  return { ok: true, request };
}

export function resultResponse(id: RpcId, result: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
}

export function errorResponse(id: RpcId, error: RpcError): RpcResponse {
  return { jsonrpc: '2.0', id, error: error.toObject() };
}

function fail(id: RpcId, error: RpcError): ParsedLine {
  return { ok: false, response: errorResponse(id, error) };
}
