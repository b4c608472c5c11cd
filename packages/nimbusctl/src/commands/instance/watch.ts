import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, showsProgress, timeoutFlag } from '../../instances/cli-support.ts';
import { followInstances, formatElapsed, StepTracker } from '../../instances/follow.ts';
import { openInstance } from '../../instances/lookup.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';

export interface InstanceWatchResult {
  id: string;
  providerId: string;
  state: string;
  address: string | null;
  sshUser: string | null;
  /** deployed, released, failed, allocated, timeout; `detached` after Ctrl-C; `lost` when the provider went away. */
  outcome: string;
  error: string | null;
}

export default class InstanceWatch extends BaseCommand<InstanceWatchResult> {
  static override summary = 'Follow an instance until it is deployed (or released, or failed); Ctrl-C detaches.';
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = {
    identity: identityFlag,
    timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS),
    'max-wait': Flags.integer({ min: 1, description: 'Stop following after this many seconds (default: the provider’s, an hour).' }),
  };

  async run(): Promise<InstanceWatchResult> {
    const { args, flags } = await this.parse(InstanceWatch);
    const book = openBook(this.paths);
    const { record, session } = await openInstance(book, connector(), args.id, sessionOptions(flags));
    const progress = showsProgress(this.jsonEnabled());
    const tracker = new StepTracker();
    let detached = false;
    const detach = (): void => {
      detached = true;
      session.close();
    };
    process.once('SIGINT', detach);
    try {
      const [followed] = await followInstances(
        [{ id: record.id, session }],
        (event) => {
          const step = tracker.see(event);
          if (step && progress) this.log(`${formatElapsed(step.elapsedMs).padStart(7)}  ${step.label}`);
        },
        flags['max-wait'] === undefined ? {} : { timeoutSeconds: flags['max-wait'] },
      );
      const last = followed?.last;
      if (last) await book.recordSeen([last.instance]);
      const result: InstanceWatchResult = {
        id: record.id,
        providerId: record.provider.providerId,
        state: last?.instance.state ?? record.state,
        address: last?.instance.address ?? record.address,
        sshUser: last?.instance.sshUser ?? record.sshUser,
        outcome: last?.outcome ?? (detached ? 'detached' : 'lost'),
        error: last?.error?.message ?? (detached ? null : (followed?.error ?? null)),
      };
      if (detached) this.logToStderr(`detached; the provider carries on. Follow again with: nimbusctl instance watch ${record.id}`);
      else if (result.outcome === 'deployed') this.log(`${record.id} is up at ${result.address}: nimbusctl instance ssh ${record.id}`);
      else if (!progress) this.log(`${record.id} ${result.state}${result.error ? `: ${result.error}` : ''}`);
      if (result.outcome === 'failed' || result.outcome === 'lost' || result.outcome === 'timeout') process.exitCode = 1;
      return result;
    } finally {
      process.off('SIGINT', detach);
      session.close();
    }
  }
}
