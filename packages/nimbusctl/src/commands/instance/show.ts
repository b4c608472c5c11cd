import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.ts';
import type { InstanceRecord } from '../../instances/book.ts';
import { connector, describeState, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { ProviderUnreachableError } from '../../instances/errors.ts';
import { openInstance } from '../../instances/lookup.ts';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../../instances/targets.ts';

export interface InstanceShowResult {
  instance: InstanceRecord;
  /** The provider did not answer: this is the record as last seen. */
  stale: boolean;
}

export default class InstanceShow extends BaseCommand<InstanceShowResult> {
  static override summary = 'Show one instance: where it lives, its state and address, how to log in.';
  static override args = { id: Args.string({ required: true, description: 'Instance id (or a unique prefix, or its name).' }) };
  static override flags = { identity: identityFlag, timeout: timeoutFlag(DEFAULT_PROBE_TIMEOUT_MS) };

  async run(): Promise<InstanceShowResult> {
    const { args, flags } = await this.parse(InstanceShow);
    const book = openBook(this.paths);
    let result: InstanceShowResult;
    try {
      const { record, session } = await openInstance(book, connector(), args.id, sessionOptions(flags));
      session.close();
      result = { instance: record, stale: false };
    } catch (err) {
      if (!(err instanceof ProviderUnreachableError)) throw err;
      this.note(`${err.message}; showing the instance as last seen`);
      result = { instance: await book.get(args.id), stale: true };
    }
    const r = result.instance;
    const age = Date.now() - Date.parse(r.seenAt);
    this.log(
      [
        `id:        ${r.id}`,
        ...(r.name === undefined ? [] : [`name:      ${r.name}`]),
        `provider:  ${r.provider.providerId} (${r.provider.host}:${r.provider.port}, registry ${r.provider.registry})`,
        `state:     ${describeState({ ...r, stale: result.stale, ageMs: age })}`,
        `address:   ${r.address ?? '-'}`,
        `image:     ${r.image} (log in as ${r.sshUser ?? 'root'})`,
        `identity:  ${r.identity}`,
        `created:   ${r.createdAt}`,
        `seen:      ${r.seenAt}`,
        ...(r.address ? [`ssh:       nimbusctl instance ssh ${r.id}`] : []),
      ].join('\n'),
    );
    return result;
  }
}
