import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { renderTable } from '@nimbus/core';
import { BaseCommand } from '../../base-command.ts';
import { ProviderNotFoundError } from '../../errors.ts';
import { connector, timeoutFlag } from '../../instances/cli-support.ts';
import { DEFAULT_PUBLIC_KEYS, readIdentity } from '../../instances/keys.ts';
import { DEFAULT_PROBE_TIMEOUT_MS, endpointOf } from '../../instances/targets.ts';
import { probeProviders, throwawayKey, type ProviderStatus } from '../../providers/status.ts';
import { describeConflict, loadCatalog } from '../../registry/catalog.ts';

/** Private keys tried, in order, when --identity is not given: those of `instance create`'s default public keys. */
const DEFAULT_IDENTITIES = DEFAULT_PUBLIC_KEYS.map((name) => name.replace(/\.pub$/, ''));

export default class ProvidersStatus extends BaseCommand<ProviderStatus[]> {
  static override summary = "Ask each provider's nimbusd, live: reachable, connect latency, host key check, free machines by class.";
  static override description =
    'All providers of the synced registries (or those named with --provider) are asked in parallel, each under --timeout. The host key is checked against the registry before anything else; a provider that refuses your key still shows as reachable, with its host key checked. Without a key of your own (--identity, ~/.ssh/id_ed25519, ~/.ssh/id_rsa) a throwaway one is used.';
  static override examples = ['<%= config.bin %> providers status', '<%= config.bin %> providers status --provider fra1 --json'];
  static override flags = {
    provider: Flags.string({ multiple: true, description: 'Only this provider (repeatable).' }),
    identity: Flags.string({ description: 'Private key to authenticate with (default ~/.ssh/id_ed25519, then ~/.ssh/id_rsa).' }),
    timeout: timeoutFlag(DEFAULT_PROBE_TIMEOUT_MS),
  };

  async run(): Promise<ProviderStatus[]> {
    const { flags } = await this.parse(ProvidersStatus);
    const catalog = loadCatalog(await this.loadConfig(), this.paths.registryCacheDir);
    for (const conflict of catalog.conflicts) this.note(describeConflict(conflict));
    let providers = catalog.providers;
    if (flags.provider?.length) {
      const missing = flags.provider.filter((id) => !providers.some((p) => p.provider.id === id));
      if (missing.length > 0) throw new ProviderNotFoundError(`no provider ${missing.map((m) => `"${m}"`).join(', ')} in the synced registries; see nimbusctl providers list`);
      providers = providers.filter((p) => flags.provider!.includes(p.provider.id));
    }
    const identity = flags.identity ?? DEFAULT_IDENTITIES.map((n) => join(homedir(), '.ssh', n)).find((f) => existsSync(f));
    const statuses = await probeProviders(providers.map(endpointOf), {
      connector: connector(),
      privateKey: identity === undefined ? throwawayKey() : readIdentity(identity),
      timeoutMs: flags.timeout * 1000,
    });
    this.log(
      renderTable(
        ['ID', 'ENDPOINT', 'REACHABLE', 'LATENCY', 'HOST KEY', 'YOUR KEY', 'FREE', 'NIMBUSD', 'PROBLEM'],
        statuses.map((s) => [
          s.id,
          s.endpoint,
          s.reachable ? 'yes' : 'no',
          s.latencyMs === null ? '-' : `${s.latencyMs} ms`,
          s.hostKey,
          s.auth,
          s.capacity ? `${s.capacity.free}${Object.keys(s.capacity.classes).length ? ` (${Object.entries(s.capacity.classes).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}` : '-',
          s.version ?? '-',
          s.error ?? '',
        ]),
      ),
    );
    return statuses;
  }
}
