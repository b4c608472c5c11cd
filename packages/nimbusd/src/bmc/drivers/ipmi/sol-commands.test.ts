// The SOL commands over a scripted command channel: what a BMC answers decides the outcome.
// The same commands run against ipmi_sim in sol-ipmi-sim.test.ts; these cover the answers
// ipmi_sim never gives (SOL disabled, no Get Payload Instance Info, odd replies).
import { describe, expect, it } from 'vitest';
import { BmcBusyError, BmcProtocolError, BmcTimeoutError, BmcUnsupportedError } from '../../errors.ts';
import type { CommandChannel } from './commands.ts';
import { activateSol as activateWith, checkSolEnabled, SolOwnership } from './sol-commands.ts';

type Answer = Buffer | number | Error;

/** A channel that answers each command (by its number) from a script, in order, and records what was asked. */
function scripted(script: Record<number, Answer[]>): CommandChannel & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    async command(_netFn, cmd, _data, what) {
      asked.push(cmd);
      const answer = script[cmd]?.shift();
      if (answer === undefined) throw new Error(`unexpected command 0x${cmd.toString(16)}`);
      if (answer instanceof Error) throw answer;
      if (typeof answer === 'number') throw new BmcProtocolError(`${what} failed`, { completionCode: answer, target: what });
      return answer;
    },
  };
}

const OUR_SESSION = 0x1234;
/** Activation with ownership asked of the same scripted channel, as the client does. */
const activateSol = (ch: CommandChannel, force: boolean, where: string) => activateWith(ch, new SolOwnership(ch, () => OUR_SESSION), force, where);
const infoOf = (session: number) => {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(session, 0);
  return b;
};

const ACTIVATED = Buffer.from('00000000' + '0801' + '0001' + '6f02' + 'ff0f', 'hex');
const WHERE = '10.0.0.5:623';

describe('activating SOL', () => {
  it('refuses a console held by another session unless forced, and takes it over when forced', async () => {
    await expect(activateSol(scripted({ 0x48: [0x80], 0x4b: [infoOf(0x9999)] }), false, WHERE)).rejects.toThrow(BmcBusyError);
    await expect(activateSol(scripted({ 0x48: [0x80], 0x4b: [0xc1] }), false, WHERE)).rejects.toThrow(BmcBusyError);
    const forced = scripted({ 0x48: [0x80, ACTIVATED], 0x49: [Buffer.alloc(0)] });
    expect(await activateSol(forced, true, WHERE)).toMatchObject({ port: 623, inboundPayloadSize: 264 });
    expect(forced.asked).toEqual([0x48, 0x49, 0x48]);
  });

  it('takes back an activation of its own whose reply was lost (the resend finds SOL active in this session)', async () => {
    const ch = scripted({ 0x48: [0x80, ACTIVATED], 0x4b: [infoOf(OUR_SESSION)], 0x49: [Buffer.alloc(0)] });
    expect(await activateSol(ch, false, WHERE)).toMatchObject({ port: 623 });
    expect(ch.asked).toEqual([0x48, 0x4b, 0x49, 0x48]);
  });

  it.each([
    [0x81, BmcUnsupportedError, /SOL payload disabled for this user or channel/],
    [0x82, BmcBusyError, /as many SOL sessions as it allows/],
    [0x83, BmcUnsupportedError, /cannot encrypt SOL/],
    [0xc1, BmcProtocolError, /Activate Payload failed/],
  ])('turns completion code 0x%s into what it means', async (code, kind, message) => {
    const failed = activateSol(scripted({ 0x48: [code] }), true, WHERE);
    await expect(failed).rejects.toThrow(kind);
    await expect(activateSol(scripted({ 0x48: [code] }), true, WHERE)).rejects.toThrow(message);
  });

  it('rejects a reply it cannot read as a protocol error naming the command', async () => {
    await expect(activateSol(scripted({ 0x48: [Buffer.alloc(6)] }), false, WHERE)).rejects.toMatchObject({ code: 'BMC_PROTOCOL', target: 'Activate Payload' });
  });
});

describe('checking that SOL is enabled', () => {
  it('refuses a BMC that says SOL is disabled, naming how to enable it', async () => {
    await expect(checkSolEnabled(scripted({ 0x22: [Buffer.from([0x11, 0x00])] }), WHERE)).rejects.toThrow(/SOL is disabled on the BMC 10\.0\.0\.5:623; enable it there/);
  });

  it('goes ahead when the BMC says enabled, cannot say (a completion code), or answers short', async () => {
    for (const answer of [Buffer.from([0x11, 0x01]), 0x80, Buffer.from([0x11])]) {
      await expect(checkSolEnabled(scripted({ 0x22: [answer] }), WHERE)).resolves.toBeUndefined();
    }
  });

  it('does not hide a BMC that does not answer', async () => {
    await expect(checkSolEnabled(scripted({ 0x22: [new BmcTimeoutError('no answer')] }), WHERE)).rejects.toThrow(BmcTimeoutError);
  });
});

describe('SOL ownership', () => {
  const info = (session: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(session, 0);
    return b;
  };

  it('is ours while the BMC names this session, and not once it names another', async () => {
    const ch = scripted({ 0x4b: [info(0x1234), info(0x9999)] });
    const ownership = new SolOwnership(ch, () => 0x1234);
    expect(await ownership.stillOurs()).toBe(true);
    expect(await ownership.stillOurs()).toBe(false);
  });

  it('falls back to the activation status on a BMC without Get Payload Instance Info, and stops asking for it', async () => {
    const ch = scripted({ 0x4b: [0xc1], 0x4a: [Buffer.from([0x01, 0x01, 0x00]), Buffer.from([0x01, 0x00, 0x00])] });
    const ownership = new SolOwnership(ch, () => 0x1234);
    expect(await ownership.stillOurs()).toBe(true);
    expect(await ownership.stillOurs()).toBe(false);
    expect(ch.asked).toEqual([0x4b, 0x4a, 0x4a]);
  });

  it('passes a BMC that stopped answering on, so the console ends with it', async () => {
    const ownership = new SolOwnership(scripted({ 0x4b: [new BmcTimeoutError('no answer from 10.0.0.5:623')] }), () => 1);
    await expect(ownership.stillOurs()).rejects.toThrow(BmcTimeoutError);
  });
});
