import { describe, expect, it } from 'vitest';
import { parseRequestLine, RPC_ERRORS } from './json-rpc.ts';

describe('parseRequestLine', () => {
  it('accepts a request with id and params', () => {
    expect(parseRequestLine('{"jsonrpc":"2.0","id":"x","method":"capacity","params":{}}')).toEqual({
      ok: true,
      request: { jsonrpc: '2.0', id: 'x', method: 'capacity', params: {} },
    });
  });

  it.each([
    ['not json', '{', RPC_ERRORS.PARSE_ERROR, null, /parse error/],
    ['a batch', '[]', RPC_ERRORS.INVALID_REQUEST, null, /batches are not accepted/],
    ['a wrong version', '{"jsonrpc":"1.0","id":4,"method":"m"}', RPC_ERRORS.INVALID_REQUEST, 4, /"jsonrpc" must be "2.0"/],
    ['no method', '{"jsonrpc":"2.0","id":5}', RPC_ERRORS.INVALID_REQUEST, 5, /"method" must be a non-empty string/],
    ['scalar params', '{"jsonrpc":"2.0","id":6,"method":"m","params":3}', RPC_ERRORS.INVALID_REQUEST, 6, /"params" must be an object or an array/],
    ['an object id', '{"jsonrpc":"2.0","id":{},"method":"m"}', RPC_ERRORS.INVALID_REQUEST, null, /"id" must be/],
  ])('answers %s with the right error and id', (_name, line, code, id, message) => {
    const parsed = parseRequestLine(line);
    expect(parsed.ok).toBe(false);
    if (parsed.ok || !('error' in parsed.response)) throw new Error('expected an error response');
    expect(parsed.response.id).toBe(id);
    expect(parsed.response.error.code).toBe(code);
    expect(parsed.response.error.message).toMatch(message);
  });
});
