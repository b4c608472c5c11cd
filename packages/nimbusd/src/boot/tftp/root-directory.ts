/**
 * The folder the server serves, and the only way a requested name becomes an open file:
 * names are relative to it, `..` and backslashes are refused, and a file whose real path
 * (after every symlink) is outside it is refused too. Refusals carry the TFTP error to
 * send; their messages name the file as the client asked for it, never the host path.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TftpConfigError } from './errors.ts';
import { printable, TFTP_ERROR } from './packet.ts';

export type RefusalOutcome = 'not-found' | 'access-violation' | 'read-error';

export interface Refusal {
  ok: false;
  outcome: RefusalOutcome;
  errorCode: number;
  /** For the ERROR packet: says what happened in terms of the requested name. */
  message: string;
}

export interface OpenedFile {
  ok: true;
  handle: FileHandle;
  /** Bytes, fixed for the whole transfer. */
  size: number;
}

export class RootDirectory {
  readonly #real: string;

  private constructor(real: string) {
    this.#real = real;
  }

  /** Resolves `root` once (it may itself be a symlink); throws TftpConfigError when it is not a readable folder. */
  static async open(root: string): Promise<RootDirectory> {
    let real: string;
    try {
      real = await realpath(root);
    } catch (err) {
      throw new TftpConfigError(`TFTP root ${root} cannot be used: ${(err as NodeJS.ErrnoException).code ?? String(err)}; create it or set another root`, { cause: err });
    }
    if (!(await stat(real)).isDirectory()) throw new TftpConfigError(`TFTP root ${root} is not a folder; point it at the folder holding the boot files`);
    return new RootDirectory(real);
  }

  /** The client's name opened for reading, or why it is refused. */
  async openFile(requested: string): Promise<OpenedFile | Refusal> {
    const shown = `"${printable(requested)}"`;
    const name = requested.replace(/^\/+/, '');
    if (name.includes('\\')) return refuse('access-violation', `${shown}: backslashes are not allowed in file names`);
    if (name.includes('\0')) return refuse('access-violation', `${shown}: NUL is not allowed in file names`);
    const segments = name.split('/');
    if (segments.includes('..')) return refuse('access-violation', `${shown}: ".." is not allowed in file names`);
    if (name === '') return refuse('not-found', 'no file name given');

    let real: string;
    try {
      real = await realpath(join(this.#real, ...segments));
    } catch (err) {
      return refuseFor(err, shown);
    }
    if (!this.#contains(real)) return refuse('access-violation', `${shown} leads outside the served folder`);

    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a symlink swapped in after realpath is not followed; O_NONBLOCK: a FIFO does not hang the open.
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      return refuseFor(err, shown);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return refuse('not-found', `${shown} is not a file`);
      }
      // A folder above the file swapped for a symlink between realpath and open: the
      // kernel knows what was really opened.
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => real);
      if (!this.#contains(opened)) {
        await handle.close();
        return refuse('access-violation', `${shown} leads outside the served folder`);
      }
      return { ok: true, handle, size: info.size };
    } catch (err) {
      await handle.close().catch(() => undefined);
      return refuseFor(err, shown);
    }
  }

  #contains(path: string): boolean {
    return path === this.#real || path.startsWith(this.#real.endsWith(sep) ? this.#real : this.#real + sep);
  }
}

function refuse(outcome: RefusalOutcome, message: string): Refusal {
  const errorCode = outcome === 'not-found' ? TFTP_ERROR.fileNotFound : outcome === 'access-violation' ? TFTP_ERROR.accessViolation : TFTP_ERROR.notDefined;
  return { ok: false, outcome, errorCode, message };
}

function refuseFor(err: unknown, shown: string): Refusal {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return refuse('not-found', `${shown}: file not found`);
    case 'EACCES':
    case 'EPERM':
      return refuse('access-violation', `${shown}: permission denied`);
    case 'ELOOP':
      return refuse('access-violation', `${shown}: too many symbolic links`);
    default:
      // The errno code only: the message of a filesystem error carries the host path.
      return refuse('read-error', `${shown} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
