/**
 * Streams one file from disk to an HTTP response, never holding more of it than the
 * read-ahead window: Content-Length, Last-Modified, a weak ETag from size and mtime,
 * HEAD, single byte ranges (`a-b`, `a-`, `-n`) as 206, an unsatisfiable range as 416,
 * If-None-Match / If-Modified-Since as 304, and If-Range.
 *
 * Several ranges in one request get the whole file with 200 (RFC 9110 lets a server
 * ignore Range; boot clients never ask for more than one). Range syntax comes from
 * `range-parser` and the 304 decision from `fresh` (jshttp, what Express and `send` use).
 *
 * Why not `send` itself: it pipes `fs.createReadStream`, one chunk read ahead of the
 * socket, into a fresh buffer per chunk. Against nginx (sendfile) on one stream it measured
 * 0.37× with its default 64 KiB chunks and 0.86× at best (4 MiB chunks). Two reads in
 * flight on libuv's thread pool while the socket drains, into buffers reused once the
 * socket has taken them, reach nginx's figure at half the CPU per byte of fresh buffers
 * (test/bench/image-http.bench.ts). `send` also stats by path and then opens, so a file
 * replaced in between goes out with the old length; here one descriptor is stat'ed and read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import fresh from 'fresh';
import parseRange from 'range-parser';
import { HttpFileError, HttpNotFoundError } from './errors.ts';

/**
 * Bytes per read and per socket write. Large enough that the per-chunk cost (a thread-pool
 * hop, a syscall) is small; small enough that 50 downloads' buffers stay near the CPU
 * caches (1 MiB × 4 measured the same alone and slower with 50 at once).
 */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;
/** Reads in flight ahead of the socket; about chunkSize × (readAhead + 1) is the memory one download holds. */
export const DEFAULT_READ_AHEAD = 2;

export interface SendFileOptions {
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
  /** Further response headers (Cache-Control, Content-Disposition); sent with 200, 206 and 304. */
  headers?: OutgoingHttpHeaders;
  /** Defaults to DEFAULT_CHUNK_SIZE. */
  chunkSize?: number;
  /** Defaults to DEFAULT_READ_AHEAD. */
  readAhead?: number;
}

export interface SendFileResult {
  status: number;
  /** Body bytes handed to the socket (all of them, unless the client went away). */
  bodyBytes: number;
  /** `aborted` when the connection closed before the response was complete. */
  outcome: 'completed' | 'aborted';
}

/** Errors that mean "there is no such file to serve" rather than "the server is broken". */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Answers `req` with the file at `path`. Resolves once the response is complete or the
 * client has gone (the file is closed by then). Throws HttpNotFoundError when there is no
 * regular file at `path`, HttpFileError when it cannot be read; after the headers are out,
 * a read error destroys the response instead, since the status is already sent.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: SendFileOptions = {},
  /** Told the size of each body chunk as it is handed to the socket (request accounting). */
  onBody: (bytes: number) => void = () => {},
): Promise<SendFileResult> {
  const file = await openRegularFile(path);
  try {
    const stat = await file.stat();
    const size = stat.size;
    const lastModified = stat.mtime.toUTCString();
    const etag = `W/"${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const validators = { ETag: etag, 'Last-Modified': lastModified };

    if (fresh(req.headers, { etag, 'last-modified': lastModified })) {
      res.writeHead(304, { ...options.headers, ...validators }).end();
      return await finished(res, 304, 0);
    }

    const headers: OutgoingHttpHeaders = {
      'Content-Type': options.contentType ?? 'application/octet-stream',
      ...options.headers,
      ...validators,
      'Accept-Ranges': 'bytes',
    };
    const range = requestedRange(req, size, etag, stat.mtimeMs);
    if (range === 'unsatisfiable') {
      const text = `Range Not Satisfiable: the file has ${size} bytes\n`;
      res.writeHead(416, { ...validators, 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      onBody(Buffer.byteLength(text));
      return await finished(res, 416, Buffer.byteLength(text));
    }
    let status = 200;
    let start = 0;
    let end = size - 1;
    if (range !== 'whole') {
      status = 206;
      ({ start, end } = range);
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || end < start) {
      res.end();
      return await finished(res, status, 0);
    }
    const sent = await streamRange(file, res, start, end, options.chunkSize ?? DEFAULT_CHUNK_SIZE, options.readAhead ?? DEFAULT_READ_AHEAD, onBody);
    return await finished(res, status, sent);
  } finally {
    await file.close();
  }
}

async function openRegularFile(path: string): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? '';
    if (NOT_FOUND_CODES.has(code)) throw new HttpNotFoundError(`no file to serve at ${path} (${code})`, { cause });
    throw new HttpFileError(`cannot open ${path} to serve it (${code}): check its permissions`, { cause });
  }
  const stat = await file.stat().catch(async (cause: unknown) => {
    await file.close();
    throw new HttpFileError(`cannot stat ${path} to serve it`, { cause });
  });
  if (!stat.isFile()) {
    await file.close();
    throw new HttpNotFoundError(`${path} is not a regular file`);
  }
  return file;
}

/** The byte range to send: the whole file, one range, or a 416. */
function requestedRange(req: IncomingMessage, size: number, etag: string, mtimeMs: number): 'whole' | 'unsatisfiable' | { start: number; end: number } {
  const header = req.headers.range;
  if (header === undefined) return 'whole';
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && (typeof ifRange !== 'string' || !ifRangeMatches(ifRange, etag, mtimeMs))) return 'whole';
  const ranges = parseRange(size, wholeFileSuffixes(header, size), { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  // Malformed syntax, another unit, or several ranges: RFC 9110 §14.2 lets us ignore Range.
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return 'whole';
  return ranges[0]!;
}

/**
 * range-parser drops a suffix range longer than the file (`bytes=-5000` of 1000 bytes) as
 * unsatisfiable; RFC 9110 §14.1.3 says it means the whole file, so it is rewritten to `0-`.
 */
function wholeFileSuffixes(header: string, size: number): string {
  return header.replace(/([=,])\s*-\s*(\d+)\s*(?=,|$)/g, (spec, separator: string, length: string) => (Number(length) > size ? `${separator}0-` : spec));
}

/**
 * If-Range holds when it names this file's ETag (our ETag is weak, so only a client that
 * echoes it back sends one; it stands for size and mtime, what a date would check) or
 * its exact Last-Modified second.
 */
function ifRangeMatches(ifRange: string, etag: string, mtimeMs: number): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/"')) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Math.floor(mtimeMs / 1000) * 1000;
}

/**
 * Writes bytes `start`..`end` of `file` to `res`, keeping `readAhead` reads in flight
 * while the socket drains. Returns the bytes handed to the socket; stops at once when the
 * client goes away and waits only for the reads already in flight, so the caller can close
 * the file.
 *
 * Chunk buffers are reused once the socket has taken their bytes (the write callback): a
 * fresh buffer per chunk measured about 0.3 s more server CPU per GiB sent (fresh pages
 * the kernel faults in and zeroes, most likely), as much as both copies of the data.
 */
async function streamRange(
  file: FileHandle,
  res: ServerResponse,
  start: number,
  end: number,
  chunkSize: number,
  readAhead: number,
  onBody: (bytes: number) => void,
): Promise<number> {
  let gone = res.destroyed;
  let wake: (() => void) | undefined;
  const onGone = (): void => {
    gone = true;
    wake?.();
  };
  const onDrain = (): void => wake?.();
  res.on('close', onGone).on('drain', onDrain);

  const spare: Buffer[] = [];
  // Only a write that succeeded gives its buffer back: after an error nothing says libuv is done with it.
  const release = (buffer: Buffer) => (error?: Error | null) => {
    if (!error) spare.push(buffer);
  };
  const reads: Promise<Buffer>[] = [];
  let next = start;
  const fill = (): void => {
    while (!gone && reads.length < readAhead && next <= end) {
      const length = Math.min(chunkSize, end - next + 1);
      const buffer = spare.pop() ?? Buffer.allocUnsafe(chunkSize);
      const read = readExactly(file, buffer, next, length);
      // A read still in flight when the client leaves is awaited below, never left unhandled.
      read.catch(() => {});
      reads.push(read);
      next += length;
    }
  };

  let sent = 0;
  try {
    fill();
    while (!gone && reads.length > 0) {
      const chunk = await reads.shift()!;
      fill();
      if (gone) break;
      sent += chunk.length;
      onBody(chunk.length);
      // The last, shorter chunk is a view of a pooled buffer: not worth giving back.
      const written = chunk.length === chunkSize ? res.write(chunk, release(chunk)) : res.write(chunk);
      if (!written && !gone) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (!gone) res.end();
    return sent;
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    res.off('close', onGone).off('drain', onDrain);
    await Promise.allSettled(reads);
  }
}

/** Fills the first `length` bytes of `buffer` from `position`; resolves with that slice. */
async function readExactly(file: FileHandle, buffer: Buffer, position: number, length: number): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new HttpFileError(`the file ended at byte ${position + filled} while being sent (it shrank): the download is cut`);
    filled += bytesRead;
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/** Resolves when the response has been flushed or its connection has closed, whichever comes first. */
function finished(res: ServerResponse, status: number, bodyBytes: number): Promise<SendFileResult> {
  const result = (): SendFileResult => ({ status, bodyBytes, outcome: res.writableFinished ? 'completed' : 'aborted' });
  if (res.writableFinished || res.destroyed) return Promise.resolve(result());
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('finish', done).off('close', done);
      resolve(result());
    };
    res.on('finish', done).on('close', done);
  });
}
