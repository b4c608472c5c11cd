/**
 * Reads a request body into memory with a size limit and a deadline: deploy callbacks
 * and small uploads, never images.
 */
import type { IncomingMessage } from 'node:http';
import { HttpBadRequestError, HttpBodyTimeoutError, HttpBodyTooLargeError } from './errors.ts';

const DECIMAL = /^\d+$/;

/**
 * Resolves with the whole body. Rejects with HttpBodyTooLargeError (413) when the
 * declared or received length passes `maxBytes`, HttpBadRequestError (400) for a
 * Content-Length that is not a decimal number or a body the client breaks off (or whose
 * chunked encoding is bad), and HttpBodyTimeoutError (408) when it has not all arrived
 * within `timeoutMs`. On a rejection the body is left unread: the server closes the
 * connection after its answer.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (!DECIMAL.test(declared)) return Promise.reject(new HttpBadRequestError('Content-Length is not a decimal number of bytes'));
    if (Number(declared) > maxBytes) {
      return Promise.reject(tooLarge(maxBytes, `declares ${declared} bytes`));
    }
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => settle(new HttpBodyTimeoutError(`request body not received within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) settle(tooLarge(maxBytes, `sent more than ${maxBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    const onError = (cause: Error): void => settle(new HttpBadRequestError('request body is malformed (bad chunked encoding or length)', { cause }));
    const onClose = (): void => {
      if (!req.complete) settle(new HttpBadRequestError(`client closed the connection after ${received} bytes of the request body`));
    };
    function settle(error: Error | undefined): void {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error === undefined) return resolve(Buffer.concat(chunks, received));
      // Stop pulling a body nobody will read; the server answers and then closes the connection.
      req.pause();
      reject(error);
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function tooLarge(maxBytes: number, what: string): HttpBodyTooLargeError {
  return new HttpBodyTooLargeError(`request body ${what}; the limit here is ${maxBytes} bytes`, {
    publicMessage: `Payload Too Large: the limit is ${maxBytes} bytes`,
  });
}
