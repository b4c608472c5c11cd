/**
 * Full mode's leases on disk: one JSON file, replaced atomically (write a temp file in the
 * same directory, fsync, rename, fsync the directory) so a crash leaves either the old or
 * the new file, never half of one. Writes are serialized and coalesced: a caller's promise
 * resolves once a write that includes its change is on disk.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DhcpLeaseFileError } from './errors.ts';
import { ipv4ToNumber } from './ipv4.ts';
import type { LeaseRecord, LeaseState } from './leases.ts';

const FORMAT_VERSION = 1;
const STATES: readonly LeaseState[] = ['offered', 'bound', 'released', 'declined'];

interface StoredLease {
  address: string;
  clientKey: string;
  mac: string;
  state: LeaseState;
  expiresAt: string;
}

function problem(path: string, what: string): DhcpLeaseFileError {
  return new DhcpLeaseFileError(`lease file ${path}: ${what}; fix it or move it aside (the server then starts with no leases, so clients may be offered addresses still in use)`);
}

/** Reads the lease file; a missing file is an empty one. Anything unreadable throws DhcpLeaseFileError. */
export async function loadLeaseFile(path: string): Promise<LeaseRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw problem(path, `cannot be read (${(error as Error).message})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw problem(path, `is not JSON (${(error as Error).message})`);
  }
  const root = document as { version?: unknown; leases?: unknown };
  if (typeof root !== 'object' || root === null || root.version !== FORMAT_VERSION || !Array.isArray(root.leases)) {
    throw problem(path, `is not a version ${FORMAT_VERSION} lease file ({"version": ${FORMAT_VERSION}, "leases": [...]})`);
  }
  return root.leases.map((entry: unknown, index: number) => {
    const lease = entry as Partial<StoredLease>;
    const expiresAt = typeof lease?.expiresAt === 'string' ? Date.parse(lease.expiresAt) : Number.NaN;
    if (
      typeof lease !== 'object' || lease === null ||
      typeof lease.address !== 'string' || ipv4ToNumber(lease.address) === null ||
      typeof lease.clientKey !== 'string' || typeof lease.mac !== 'string' ||
      !STATES.includes(lease.state as LeaseState) || Number.isNaN(expiresAt)
    ) {
      throw problem(path, `lease ${index} is not {address, clientKey, mac, state, expiresAt}`);
    }
    return { address: lease.address, clientKey: lease.clientKey, mac: lease.mac, state: lease.state as LeaseState, expiresAt };
  });
}

function serialize(records: readonly LeaseRecord[]): string {
  const leases: StoredLease[] = records.map((record) => ({
    address: record.address,
    clientKey: record.clientKey,
    mac: record.mac,
    state: record.state,
    expiresAt: new Date(record.expiresAt).toISOString(),
  }));
  return `${JSON.stringify({ version: FORMAT_VERSION, leases }, null, 2)}\n`;
}

async function writeAtomically(path: string, text: string, sequence: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${sequence}.tmp`);
  try {
    const file = await open(temp, 'w', 0o640);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new DhcpLeaseFileError(`lease file ${path} could not be written: ${(error as Error).message}`, { cause: error });
  }
  // The rename is durable only once the directory entry is.
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

export class LeaseFileWriter {
  private readonly path: string;
  private readonly snapshot: () => readonly LeaseRecord[];
  private running: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  private sequence = 0;

  /** `snapshot` is read when a write starts, so one write carries every change made before it. */
  constructor(path: string, snapshot: () => readonly LeaseRecord[]) {
    this.path = path;
    this.snapshot = snapshot;
  }

  /** Resolves when the current state (as of this call) is on disk. */
  save(): Promise<void> {
    if (this.pending) return this.pending;
    if (!this.running) return (this.running = this.start());
    // A write is under way with an older snapshot: queue exactly one more after it.
    this.pending = this.running.catch(() => undefined).then(() => {
      this.pending = null;
      return (this.running = this.start());
    });
    return this.pending;
  }

  /** Waits for every queued write (for a clean close). */
  async flush(): Promise<void> {
    while (this.pending || this.running) await (this.pending ?? this.running)?.catch(() => undefined);
  }

  private start(): Promise<void> {
    const write = writeAtomically(this.path, serialize(this.snapshot()), this.sequence++);
    const tracked = write.finally(() => {
      if (this.running === tracked) this.running = null;
    });
    return tracked;
  }
}
