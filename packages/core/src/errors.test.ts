import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NimbusError } from './errors.ts';

describe('NimbusError', () => {
  it('carries a stable code, its class name and its cause', () => {
    const cause = new Error('root');
    const err = new InvalidRequestError('cores must be positive', { cause });
    expect(err).toBeInstanceOf(NimbusError);
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.name).toBe('InvalidRequestError');
    expect(err.cause).toBe(cause);
  });
});
