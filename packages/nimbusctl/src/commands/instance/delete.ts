import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, identityFlag, openBook, sessionOptions, showsProgress, timeoutFlag } from '../../instances/cli-support.ts';
import { followInstances, formatElapsed, StepTracker } from '../../instances/follow.ts';
import { openInstance } from '../../instances/lookup.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../instances/targets.ts';

export interface InstanceDeleteResult {
  id: string;
  providerId: string;
  /** releasing, or released once --wait saw it through. */
  state: string;
  wipe: 'quick' | 'full' | null;
}

export default class InstanceDelete extends BaseCommand<InstanceDeleteResult> {
  static override summary = 'Delete an instance: its machine goes back to the provider (its disk wiped first with --wipe).';
  static override examples = ['<%= config.bin %> instance delete 3f2a…', '<%= config.bin %> instance delete web-1 --wipe full --wait'];
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = {
    wipe: Flags.option({ options: ['quick', 'full'] as const, description: 'Erase the disk before the machine is reused: quick (signatures and the first and last MiB) or full.' })(),
    wait: Flags.boolean({ description: 'Wait until the machine is released.' }),
    identity: identityFlag,
    timeout: timeoutFlag(DEFAULT_CONNECT_TIMEOUT_MS),
  };

  async run(): Promise<InstanceDeleteResult> {
    const { args, flags } = await this.parse(InstanceDelete);
    const book = openBook(this.paths);
    const { record, session } = await openInstance(book, connector(), args.id, sessionOptions(flags));
    try {
      let instance = await session.delete(record.id, flags.wipe);
      if (flags.wait && instance.state !== 'released') {
        // Noted before following, so an interrupted wait still leaves the record releasing.
        await book.recordSeen([instance]);
        const tracker = new StepTracker();
        const progress = showsProgress(this.jsonEnabled());
        const [followed] = await followInstances([{ id: record.id, session }], (event) => {
          const step = tracker.see(event);
          if (step && progress) this.log(`${formatElapsed(step.elapsedMs).padStart(7)}  ${step.label}`);
        });
        if (followed?.last) instance = followed.last.instance;
        else if (followed?.error) this.note(`stopped following the release: ${followed.error}`);
      }
      if (instance.state === 'released') await book.remove(record.id);
      else await book.recordSeen([instance]);
      this.log(
        instance.state === 'released'
          ? `instance ${record.id} released; its machine is back with provider "${record.provider.providerId}"`
          : `instance ${record.id} is ${instance.state}; the provider returns its machine to the pool${flags.wipe ? ` after a ${flags.wipe} wipe` : ''}`,
      );
      return { id: record.id, providerId: record.provider.providerId, state: instance.state, wipe: flags.wipe ?? null };
    } finally {
      session.close();
    }
  }
}
