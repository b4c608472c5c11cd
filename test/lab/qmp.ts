/**
 * A minimal QMP (QEMU Machine Protocol) client: one connection, commands one at a time,
 * events kept so a caller can wait for one (e.g. RESET after system_reset, which qemu
 * carries out asynchronously).
 */
import { connect, type Socket } from 'node:net';
import { LabTimeoutError, LabVmError } from './errors.ts';

export const QMP_TIMEOUT_MS = 5_000;

interface QmpMessage {
  QMP?: unknown;
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: unknown;
}

export class QmpClient {
  readonly #socket: Socket;
  readonly #path: string;
  #buffer = '';
  readonly #events: QmpMessage[] = [];
  #waiter: ((m: QmpMessage) => void) | undefined;
  #closed: Error | undefined;

  private constructor(socket: Socket, path: string) {
    this.#socket = socket;
    this.#path = path;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new LabVmError(`QMP ${path}: qemu closed the connection`)));
  }

  /** Connects and negotiates capabilities. */
  static async connect(path: string, timeoutMs = QMP_TIMEOUT_MS): Promise<QmpClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new LabVmError(`QMP ${path}: cannot connect (${err.message}); is the VM running?`, { cause: err })));
    });
    const client = new QmpClient(socket, path);
    try {
      await client.#next((m) => m.QMP !== undefined, timeoutMs, 'the greeting');
      await client.execute('qmp_capabilities');
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Runs one command; resolves with its `return`, rejects with qemu's error text. */
  async execute(command: string, args?: Record<string, unknown>, timeoutMs = QMP_TIMEOUT_MS): Promise<unknown> {
    this.#socket.write(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
    const reply = await this.#next((m) => 'return' in m || m.error !== undefined, timeoutMs, `the reply to ${command}`);
    if (reply.error) throw new LabVmError(`QMP ${command}: ${reply.error.class}: ${reply.error.desc}`);
    return reply.return;
  }

  /** Waits for an event by name (one already received counts). */
  async waitForEvent(name: string, timeoutMs = QMP_TIMEOUT_MS): Promise<unknown> {
    const seen = this.#events.findIndex((e) => e.event === name);
    if (seen >= 0) return this.#events.splice(seen, 1)[0]?.data;
    const m = await this.#next((x) => x.event === name, timeoutMs, `the ${name} event`);
    return m.data;
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line === '') continue;
      let message: QmpMessage;
      try {
        message = JSON.parse(line) as QmpMessage;
      } catch {
        continue;
      }
      if (this.#waiter) this.#waiter(message);
      else if (message.event !== undefined) this.#events.push(message);
    }
  }

  #fail(err: Error): void {
    this.#closed ??= err;
    this.#waiter?.({ error: { class: 'Disconnected', desc: err.message } });
  }

  /** The next message that `accept`s; events that do not are kept for waitForEvent. */
  #next(accept: (m: QmpMessage) => boolean, timeoutMs: number, what: string): Promise<QmpMessage> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new LabTimeoutError(`QMP ${this.#path}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = (m) => {
        if (m.error?.class === 'Disconnected') {
          clearTimeout(timer);
          this.#waiter = undefined;
          reject(this.#closed ?? new LabVmError(`QMP ${this.#path}: disconnected`));
        } else if (accept(m)) {
          clearTimeout(timer);
          this.#waiter = undefined;
          resolve(m);
        } else if (m.event !== undefined) {
          this.#events.push(m);
        }
      };
    });
  }
}
