/**
 * The SSH API's console channel (`exec nimbus-console`): one `instances.console` request
 * line in, its answer out, then the console's bytes both ways until either side closes.
 * Why the console closed, when the client did not close it, goes to the channel's stderr,
 * with exit status 1; a refused or malformed request ends it with status 2 (or 1 when the
 * request was fine but the console could not be opened).
 */
import type { ServerChannel } from 'ssh2';
import type { SerialConsole } from '../bmc/console.ts';
import type { Logger } from '../logging/index.ts';
import type { Caller } from './identity.ts';
import { errorResponse, parseRequestLine, resultResponse, RPC_ERRORS, RpcError } from './json-rpc.ts';
import { LineFramer } from './line-framer.ts';
import { CONSOLE_CHANNEL_NAME, type CallContext, type Dispatcher } from './methods.ts';

export interface ConsoleChannelOptions {
  dispatch: Dispatcher;
  /** The longest request line, and the most input kept while the console opens. */
  maxLineBytes: number;
  logger: Logger;
}

export function serveConsoleChannel(channel: ServerChannel, caller: Caller, { dispatch, maxLineBytes, logger }: ConsoleChannelOptions): void {
  const gone = new AbortController();
  let console: SerialConsole | undefined;
  let early: Buffer[] = [];
  let requested = false;
  let channelClosed = false;
  let ended = false;
  const finish = (status: number, why?: string): void => {
    if (channelClosed || ended) return;
    ended = true;
    if (why) channel.stderr.write(`${why}\n`);
    channel.exit(status);
    channel.end();
  };
  const onRequest = (text: string): void => {
    requested = true;
    const parsed = parseRequestLine(text);
    if (!parsed.ok) return (channel.write(`${JSON.stringify(parsed.response)}\n`), finish(2));
    const { request } = parsed;
    const id = request.id ?? null;
    if (request.method !== 'instances.console') {
      channel.write(`${JSON.stringify(errorResponse(id, new RpcError(RPC_ERRORS.INVALID_REQUEST, `a ${CONSOLE_CHANNEL_NAME} channel takes instances.console only`)))}\n`);
      return finish(2);
    }
    const context: CallContext = { notify: () => {}, signal: gone.signal, attach: (stream) => { console = stream; } };
    dispatch(caller, request, context).then(
      (result) => {
        const opened = console;
        if (!opened) return (channel.write(`${JSON.stringify(errorResponse(id, new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'internal error')))}\n`), finish(1));
        if (gone.signal.aborted) return opened.close('the client left');
        channel.write(`${JSON.stringify(resultResponse(id, result))}\n`);
        opened.on('data', (chunk: Buffer) => channel.write(chunk));
        opened.once('close', () => finish(opened.closeReason ? 1 : 0, opened.closeReason && `console closed: ${opened.closeReason}`));
        opened.on('error', (err: Error) => logger.info({ err: err.message }, 'console ended with an error'));
        for (const chunk of early) opened.write(chunk);
        early = [];
      },
      (err: unknown) => {
        channel.write(`${JSON.stringify(errorResponse(id, err instanceof RpcError ? err : new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'internal error')))}\n`);
        finish(1);
      },
    );
  };
  const framer = new LineFramer(maxLineBytes, {
    oversized: (bytes) => {
      requested = true;
      channel.write(`${JSON.stringify(errorResponse(null, new RpcError(RPC_ERRORS.LIMIT_EXCEEDED, `request line longer than ${maxLineBytes} bytes (at least ${bytes})`, { limit: maxLineBytes })))}\n`);
      finish(2);
    },
    line: (text) => {
      if (!requested) onRequest(text);
    },
  });
  channel.on('data', (chunk: Buffer) => {
    if (ended) return;
    if (console) return void console.write(chunk);
    if (!requested) {
      // Bytes after the request line are the first console input: keep them for the console.
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) return framer.push(chunk);
      framer.push(chunk.subarray(0, newline + 1));
      chunk = chunk.subarray(newline + 1);
    }
    if (chunk.length === 0) return;
    early.push(chunk);
    // Input typed while the console opens is kept, within reason.
    if (early.reduce((n, c) => n + c.length, 0) > maxLineBytes) {
      early = [];
      gone.abort();
      finish(2, `more than ${maxLineBytes} bytes of input before the console opened; dropped`);
    }
  });
  // The end of the client's input is not the end of the console: the machine may keep printing.
  channel.on('close', () => {
    channelClosed = true;
    gone.abort();
    console?.close('the client left');
  });
  channel.on('error', (err: Error) => logger.debug({ err: err.message }, 'console channel error'));
}
