import type { InstanceBook } from './book.ts';
import { openInstance } from './lookup.ts';
import type { PowerAction, ProviderConnector } from './provider-api.ts';

export interface PowerResult {
  id: string;
  providerId: string;
  action: PowerAction;
}

/** Runs a power action on an instance's machine through its provider. */
export async function powerInstance(
  book: InstanceBook,
  connector: ProviderConnector,
  idOrName: string,
  action: PowerAction,
  options: { identity?: string; timeoutMs: number },
): Promise<PowerResult> {
  const { record, session } = await openInstance(book, connector, idOrName, options);
  try {
    await session.power(record.id, action);
    return { id: record.id, providerId: record.provider.providerId, action };
  } finally {
    session.close();
  }
}
