// The SOL console's state machine over a recording link: sequence numbers, resends,
// partial acceptance, repeated packets from the BMC, and giving up. The same code runs
// against ipmi_sim in sol-ipmi-sim.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BmcTimeoutError } from '../../errors.ts';
import { SolConsole, type SolLink } from './sol.ts';
import { decodeSolPacket, encodeSolPacket, SOL_STATUS, type SolPacket } from './sol-wire.ts';

class RecordingLink implements SolLink {
  readonly sent: SolPacket[] = [];
  released: boolean | undefined;
  active = true;
  async send(payload: Buffer): Promise<void> {
    this.sent.push(decodeSolPacket(payload));
  }
  async stillActive(): Promise<boolean> {
    return this.active;
  }
  async release(deactivate: boolean): Promise<void> {
    this.released = deactivate;
  }
  /** The packets that carried input. */
  data(): SolPacket[] {
    return this.sent.filter((p) => p.data.length > 0);
  }
  /** Acknowledgements of the BMC's characters only. */
  acks(): SolPacket[] {
    return this.sent.filter((p) => p.sequence === 0);
  }
}

const fromBmc = (p: Partial<SolPacket>) => encodeSolPacket({ sequence: 0, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0), ...p });
const flush = () => new Promise((r) => setImmediate(r));

describe('SOL console', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens with an empty packet numbered 1, so that input never repeats the number a BMC remembers', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64);
    await flush();
    expect(link.sent).toEqual([{ sequence: 1, ackSequence: 0, acceptedCount: 0, flags: 0, data: Buffer.alloc(0) }]);
    sol.destroy();
  });

  it('splits input into packets of the BMC’s size and sends the next one only when the last is acknowledged', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 4);
    sol.write('abcdefghij');
    await flush();
    expect(link.data().map((p) => [p.sequence, p.data.toString()])).toEqual([[2, 'abcd']]);
    sol.receive(fromBmc({ ackSequence: 2, acceptedCount: 4 }));
    await flush();
    sol.receive(fromBmc({ ackSequence: 3, acceptedCount: 2 })); // took only "ef": "gh" goes again
    await flush();
    sol.receive(fromBmc({ ackSequence: 4, acceptedCount: 4 }));
    await flush();
    expect(link.data().map((p) => [p.sequence, p.data.toString()])).toEqual([[2, 'abcd'], [3, 'efgh'], [4, 'ghij']]);
    expect(sol.bytesOut).toBe(10);
    sol.destroy();
  });

  it('resends an unacknowledged packet with the same sequence number, then gives up', async () => {
    vi.useFakeTimers();
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64, { retryMs: 100, retries: 2, checkMs: 60_000 });
    const failed = new Promise<Error>((resolve) => sol.once('error', resolve));
    sol.write('x');
    await vi.advanceTimersByTimeAsync(350);
    expect(link.data().map((p) => p.sequence)).toEqual([2, 2, 2]);
    const err = await failed;
    expect(err).toBeInstanceOf(BmcTimeoutError);
    expect(err.message).toMatch(/acknowledged no console input after 3 sends/);
    expect(link.released).toBe(true);
  });

  it('passes the BMC’s characters on once, and acknowledges a resent packet again', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64);
    const chunks: string[] = [];
    sol.on('data', (d: Buffer) => chunks.push(d.toString()));
    sol.receive(fromBmc({ sequence: 1, data: Buffer.from('login: ') }));
    sol.receive(fromBmc({ sequence: 1, data: Buffer.from('login: ') }));
    sol.receive(fromBmc({ sequence: 2, data: Buffer.from('ok') }));
    await flush();
    expect(chunks.join('')).toBe('login: ok');
    expect(link.acks().map((p) => [p.ackSequence, p.acceptedCount])).toEqual([[1, 7], [1, 7], [2, 2]]);
    sol.destroy();
  });

  it('ignores damaged packets and acknowledgements of packets it did not send', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64);
    sol.receive(Buffer.from([0x01]));
    sol.receive(fromBmc({ ackSequence: 9, acceptedCount: 1 }));
    await flush();
    expect(link.sent.slice(1)).toEqual([]);
    expect(sol.destroyed).toBe(false);
    sol.destroy();
  });

  it('waits out a refusal and sends the same packet again', async () => {
    vi.useFakeTimers();
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64, { retryMs: 100, retries: 5, checkMs: 60_000 });
    sol.write('y');
    await vi.advanceTimersByTimeAsync(1);
    sol.receive(fromBmc({ ackSequence: 2, flags: SOL_STATUS.nack | SOL_STATUS.transferUnavailable }));
    await vi.advanceTimersByTimeAsync(100);
    sol.receive(fromBmc({ ackSequence: 2, acceptedCount: 1 }));
    await vi.advanceTimersByTimeAsync(1);
    expect(link.data().map((p) => [p.sequence, p.data.toString()])).toEqual([[2, 'y'], [2, 'y']]);
    expect(sol.bytesOut).toBe(1);
    sol.destroy();
  });

  it('ends with the reason when the BMC deactivates SOL, and does not deactivate it again', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64);
    sol.resume();
    const closed = new Promise((r) => sol.once('close', r));
    sol.receive(fromBmc({ flags: SOL_STATUS.deactivating }));
    await closed;
    expect(sol.closeReason).toMatch(/BMC ended/);
    expect(link.released).toBe(false);
  });

  it('ends when the BMC says SOL is no longer this session’s', async () => {
    vi.useFakeTimers();
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64, { checkMs: 1000 });
    sol.resume();
    link.active = false;
    await vi.advanceTimersByTimeAsync(1001);
    expect(sol.closeReason).toMatch(/took it over/);
    expect(link.released).toBe(false);
  });

  it('deactivates SOL when the user closes it', async () => {
    const link = new RecordingLink();
    const sol = new SolConsole(link, 64);
    const closed = new Promise((r) => sol.once('close', r));
    sol.destroy();
    await closed;
    expect(link.released).toBe(true);
    expect(sol.closeReason).toBeUndefined();
  });
});
