import { renderTable } from '@nimbus/core';
import { BaseCommand } from '../../base-command.ts';
import { connector, describeState, identityFlag, openBook, sessionOptions, timeoutFlag } from '../../instances/cli-support.ts';
import { readIdentity } from '../../instances/keys.ts';
import { listInstances, type InstanceList } from '../../instances/list.ts';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../../instances/targets.ts';

export default class InstanceList_ extends BaseCommand<InstanceList> {
  static override summary = 'List your instances, asking each provider you have instances at (in parallel).';
  static override description =
    'Starts from your own record ($XDG_STATE_HOME/nimbus/instances.json) and asks every provider in it, live. A provider that does not answer in time has its rows shown from the record, marked stale with their age.';
  static override examples = ['<%= config.bin %> instance list', '<%= config.bin %> instance list --json'];
  static override flags = {
    identity: identityFlag,
    timeout: timeoutFlag(DEFAULT_PROBE_TIMEOUT_MS),
  };

  async run(): Promise<InstanceList> {
    const { flags } = await this.parse(InstanceList_);
    const list = await listInstances({
      connector: connector(),
      book: openBook(this.paths),
      readKey: readIdentity,
      ...sessionOptions(flags),
    });
    for (const p of list.unreachable) this.note(`${p.message}; its instances are shown as last seen`);
    for (const id of list.gone) this.note(`instance ${id} is no longer known to its provider; dropped from your record`);
    if (list.rows.length === 0) {
      this.log('No instances. Create one with `nimbusctl instance create --image IMAGE`.');
      return list;
    }
    this.log(
      renderTable(
        ['ID', 'NAME', 'PROVIDER', 'STATE', 'ADDRESS', 'USER', 'IMAGE'],
        list.rows.map((r) => [r.id, r.name ?? '-', r.providerId, describeState(r), r.address ?? '-', r.sshUser ?? '-', r.image]),
      ),
    );
    return list;
  }
}
