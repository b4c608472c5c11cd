// Joining a terminal or pipes to a console stream: keys, escapes, raw mode, output capture,
// and the three ways a session ends. The remote is an in-process stream pair; the real
// paths are covered by test/lab-nimbusctl.test.ts and test/nimbusd-bmc-cli.test.ts.
import { Duplex, PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attachConsole, MAX_CAPTURED_BYTES, type AttachableConsole, type ConsoleIo } from './terminal.ts';

class FakeRemote {
  sent = '';
  reason: string | undefined;
  readonly stream: Duplex;
  readonly closed: Promise<{ status: number | null; reason: string | undefined }>;
  constructor() {
    const self = this;
    this.stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        self.sent += chunk.toString('latin1');
        done();
      },
    });
    this.closed = new Promise((resolve) => this.stream.once('close', () => resolve({ status: this.reason ? 1 : 0, reason: this.reason })));
  }
  console(): AttachableConsole {
    return { stream: this.stream, closed: this.closed };
  }
  print(text: string): void {
    this.stream.push(Buffer.from(text, 'latin1'));
  }
  closeWith(reason: string): void {
    this.reason = reason;
    this.stream.destroy();
  }
}

function terminal(interactive: boolean, capture = false) {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?(raw: boolean): void; rawModes: boolean[] };
  input.rawModes = [];
  if (interactive) {
    input.isTTY = true;
    input.setRawMode = (raw: boolean) => void input.rawModes.push(raw);
  }
  let printed = '';
  const notices: string[] = [];
  const io: ConsoleIo = {
    input,
    output: new Writable({ write(chunk: Buffer, _enc, done) { printed += chunk.toString('latin1'); done(); } }),
    notice: (text) => notices.push(text),
    interactive,
    capture,
  };
  return { io, input, notices, printed: () => printed };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('attaching to a console', () => {
  it('from a pipe: sends input as it comes (tildes too), prints output, stays open past the end of input, leaves on a signal', async () => {
    const remote = new FakeRemote();
    const t = terminal(false);
    const stop = new AbortController();
    const attached = attachConsole(remote.console(), t.io, stop.signal);
    t.input.write('\r~.echo hi\r');
    t.input.end();
    remote.print('hi\r\n');
    await tick();
    expect(remote.sent).toBe('\r~.echo hi\r');
    expect(t.printed()).toBe('hi\r\n');
    expect(remote.stream.destroyed).toBe(false);
    stop.abort();
    expect(await attached).toEqual({ outcome: 'interrupted', reason: null, bytesIn: 4, bytesOut: 11 });
    expect(remote.stream.destroyed).toBe(true);
  });

  it('on a terminal: raw mode while attached, escapes read, ~. leaves and sends nothing after it', async () => {
    const remote = new FakeRemote();
    const t = terminal(true);
    const attached = attachConsole(remote.console(), t.io, new AbortController().signal);
    expect(t.input.rawModes).toEqual([true]);
    t.input.write('root\r~?');
    await tick();
    expect(t.notices.join('')).toContain('~.  leave the console');
    t.input.write('\x03\r~.reboot\r');
    const outcome = await attached;
    expect(outcome).toMatchObject({ outcome: 'left', reason: null });
    expect(remote.sent).toBe('root\r\x03\r');
    expect(t.input.rawModes).toEqual([true, false]);
  });

  it('ends with the provider’s reason when the provider closes the console', async () => {
    const remote = new FakeRemote();
    const t = terminal(true);
    const attached = attachConsole(remote.console(), t.io, new AbortController().signal);
    remote.print('login: ');
    await tick();
    remote.closeWith('console closed: another session took the console over');
    expect(await attached).toMatchObject({ outcome: 'closed', reason: 'console closed: another session took the console over', bytesIn: 7 });
    expect(t.input.rawModes).toEqual([true, false]);
  });

  it('ends with the error when the console fails', async () => {
    const remote = new FakeRemote();
    const t = terminal(false);
    const attached = attachConsole(remote.console(), t.io, new AbortController().signal);
    remote.stream.destroy(new Error('the BMC acknowledged no console input after 7 sends; it may be gone'));
    expect(await attached).toMatchObject({ outcome: 'closed', reason: 'the BMC acknowledged no console input after 7 sends; it may be gone' });
  });

  it('under --json: keeps the output instead of printing it, its last MiB when there is more', async () => {
    const remote = new FakeRemote();
    const t = terminal(false, true);
    const stop = new AbortController();
    const attached = attachConsole(remote.console(), t.io, stop.signal);
    remote.print('first line\r\n');
    await tick();
    stop.abort();
    expect(await attached).toMatchObject({ output: 'first line\r\n', outputTruncated: false });
    expect(t.printed()).toBe('');

    const big = new FakeRemote();
    const t2 = terminal(false, true);
    const stop2 = new AbortController();
    const attached2 = attachConsole(big.console(), t2.io, stop2.signal);
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 20; i++) big.print(chunk);
    big.print('the end');
    await tick();
    stop2.abort();
    const outcome = await attached2;
    expect(outcome.outputTruncated).toBe(true);
    expect(outcome.output!.length).toBeLessThanOrEqual(MAX_CAPTURED_BYTES);
    expect(outcome.output!.endsWith('the end')).toBe(true);
    expect(outcome.bytesIn).toBe(20 * chunk.length + 7);
  });
});
