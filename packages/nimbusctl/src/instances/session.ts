/** Opening a session with the provider an instance lives at, from the user's record. */
import type { InstanceRecord } from './book.ts';
import { readIdentity } from './keys.ts';
import type { ProviderConnector, ProviderSession } from './provider-api.ts';

export async function openRecordSession(
  connector: ProviderConnector,
  record: InstanceRecord,
  options: { identity?: string; timeoutMs: number },
): Promise<ProviderSession> {
  return connector.connect(record.provider, { privateKey: readIdentity(options.identity ?? record.identity), timeoutMs: options.timeoutMs });
}
