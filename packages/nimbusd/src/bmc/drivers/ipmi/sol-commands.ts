/**
 * The IPMI commands around a SOL session, over a session's `command()`: is SOL enabled,
 * activate (taking it over when forced), deactivate, and is it still this session's.
 * Messages name the BMC by the `where` the caller gives; never a password.
 */
import { BmcBusyError, BmcProtocolError, BmcUnsupportedError } from '../../errors.ts';
import type { CommandChannel } from './commands.ts';
import {
  ACTIVATE_CODES, decodeActivateSol, decodeSolEnabled, decodeSolInstanceActive, decodeSolOwnerSession, encodeActivateSol, encodeDeactivateSol, encodeGetSolEnable, encodeSolActivationStatus, encodeSolInstanceInfo,
  type SolActivation,
} from './sol-wire.ts';
import { NETFN, WireError } from './wire.ts';

/** A reply that does not decode is the BMC's protocol error, naming the command. */
function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof WireError) throw new BmcProtocolError(`${what}: ${e.message}`, { target: what }, { cause: e });
    throw e;
  }
}

/** Refuses a BMC whose SOL is switched off; a BMC that cannot say (no such parameter) is given the benefit of the doubt. */
export async function checkSolEnabled(ch: CommandChannel, where: string, signal?: AbortSignal): Promise<void> {
  let reply: Buffer;
  try {
    reply = await ch.command(NETFN.transport, 0x22, encodeGetSolEnable(), 'Get SOL Configuration Parameters', signal);
  } catch (e) {
    if (e instanceof BmcProtocolError && e.completionCode !== undefined) return;
    throw e;
  }
  let enabled = true;
  try {
    enabled = decodeSolEnabled(reply);
  } catch {
    // A reply too short to read says nothing either way: try to activate.
  }
  if (!enabled) throw new BmcUnsupportedError(`SOL is disabled on the BMC ${where}; enable it there (ipmitool sol set enabled true)`);
}

/**
 * Activates SOL instance 1. A BMC that says SOL is already active may mean this very
 * session: an activation whose reply was lost, resent. Then it is deactivated and
 * activated again; held by another session, it is taken over only when `force` is set.
 */
export async function activateSol(ch: CommandChannel, ownership: SolOwnership, force: boolean, where: string, signal?: AbortSignal): Promise<SolActivation> {
  const activate = async (): Promise<SolActivation> => {
    const reply = await ch.command(NETFN.app, 0x48, encodeActivateSol(), 'Activate Payload', signal);
    return decoded('Activate Payload', () => decodeActivateSol(reply));
  };
  try {
    return await activate();
  } catch (e) {
    if (!(e instanceof BmcProtocolError)) throw e;
    switch (e.completionCode) {
      case ACTIVATE_CODES.alreadyActive:
        if (!force && !(await ownership.heldHere())) throw new BmcBusyError(`the serial console (SOL) of BMC ${where} is open in another session; force it to take it over`);
        await deactivateSol(ch, signal);
        return activate();
      case ACTIVATE_CODES.typeDisabled:
        throw new BmcUnsupportedError(`the BMC ${where} has the SOL payload disabled for this user or channel`);
      case ACTIVATE_CODES.limitReached:
        throw new BmcBusyError(`the BMC ${where} has as many SOL sessions as it allows`);
      case ACTIVATE_CODES.cannotEncrypt:
        throw new BmcUnsupportedError(`the BMC ${where} cannot encrypt SOL, and nimbusd does not send a console in the clear`);
      default:
        throw e;
    }
  }
}

export async function deactivateSol(ch: CommandChannel, signal?: AbortSignal): Promise<void> {
  await ch.command(NETFN.app, 0x49, encodeDeactivateSol(), 'Deactivate Payload', signal);
}

/**
 * Whether SOL is still active in the session `sessionId`: a takeover by another session
 * leaves SOL active, and not every BMC tells the session it took it from. A BMC without
 * Get Payload Instance Info is asked whether SOL is active at all, from then on.
 */
export class SolOwnership {
  readonly #ch: CommandChannel;
  readonly #sessionId: () => number | undefined;
  #instanceInfo = true;

  constructor(ch: CommandChannel, sessionId: () => number | undefined) {
    this.#ch = ch;
    this.#sessionId = sessionId;
  }

  async stillOurs(): Promise<boolean> {
    const here = await this.#ownerIsThisSession();
    if (here !== undefined) return here;
    const what = 'Get Payload Activation Status';
    const status = await this.#ch.command(NETFN.app, 0x4a, encodeSolActivationStatus(), what);
    return decoded(what, () => decodeSolInstanceActive(status));
  }

  /** Whether the BMC says SOL is active in this session; false when it cannot say. */
  async heldHere(): Promise<boolean> {
    return (await this.#ownerIsThisSession()) ?? false;
  }

  /** Undefined when the BMC has no Get Payload Instance Info. */
  async #ownerIsThisSession(): Promise<boolean | undefined> {
    if (!this.#instanceInfo) return undefined;
    try {
      const what = 'Get Payload Instance Info';
      const info = await this.#ch.command(NETFN.app, 0x4b, encodeSolInstanceInfo(), what);
      return decoded(what, () => decodeSolOwnerSession(info)) === this.#sessionId();
    } catch (e) {
      if (!(e instanceof BmcProtocolError && e.completionCode !== undefined)) throw e;
      this.#instanceInfo = false;
      return undefined;
    }
  }
}
