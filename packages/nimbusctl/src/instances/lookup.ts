/**
 * One instance for the commands that act on one: its record, refreshed from its provider
 * when the provider answers (the record is what is shown when it does not).
 */
import type { InstanceBook, InstanceRecord } from './book.ts';
import type { ProviderConnector, ProviderSession } from './provider-api.ts';
import { openRecordSession } from './session.ts';

export interface LiveInstance {
  record: InstanceRecord;
  session: ProviderSession;
}

/** Opens a session with the instance's provider and refreshes the record; the caller closes the session. */
export async function openInstance(book: InstanceBook, connector: ProviderConnector, idOrName: string, options: { identity?: string; timeoutMs: number }): Promise<LiveInstance> {
  const record = await book.get(idOrName);
  const session = await openRecordSession(connector, record, options);
  try {
    const live = await session.get(record.id);
    const [updated] = await book.recordSeen([live]);
    return { record: updated ?? record, session };
  } catch (err) {
    session.close();
    throw err;
  }
}
