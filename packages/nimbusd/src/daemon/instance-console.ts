/**
 * Opening an instance's console for the API: the broker does the work; this turns what
 * the BMC said into answers a tenant can act on, without the BMC's address or its
 * error text (those go to the operator's log).
 */
import { RPC_ERRORS, RpcError } from '../api/json-rpc.ts';
import type { SerialConsole } from '../bmc/console.ts';
import { BmcBusyError, BmcError, BmcUnsupportedError } from '../bmc/errors.ts';
import type { Logger } from '../logging/index.ts';
import type { ConsoleBroker, ConsoleOpenRequest } from '../machines/console-broker.ts';
import { ConflictError } from '../state/index.ts';

export async function openInstanceConsole(broker: ConsoleBroker, logger: Logger, request: ConsoleOpenRequest): Promise<SerialConsole> {
  const { machine, instance } = request;
  try {
    const console = await broker.open(request);
    logger.info({ machine: machine.name, instance: instance.id, via: console.via, forced: request.force }, 'console opened');
    console.once('close', () => logger.info({ machine: machine.name, instance: instance.id, reason: console.closeReason ?? 'closed by its client' }, 'console closed'));
    return console;
  } catch (err) {
    if (!(err instanceof BmcError)) throw err;
    logger.warn({ machine: machine.name, instance: instance.id, code: err.code, err: err.message }, 'console did not open');
    if (err instanceof BmcBusyError) {
      throw new ConflictError('console-busy', `the console of instance ${instance.id} is open in another session on its BMC; force it to take it over`);
    }
    if (err instanceof BmcUnsupportedError) {
      throw new RpcError(RPC_ERRORS.UNAVAILABLE, `instance ${instance.id} has no serial console here: its machine's BMC (${machine.bmc.driver}) gives none nimbusd can open`, { code: 'console-unsupported' });
    }
    throw new RpcError(RPC_ERRORS.UNAVAILABLE, `the BMC of instance ${instance.id}'s machine did not open its console (${err.code}); the provider's log has the details`, { code: err.code });
  }
}
