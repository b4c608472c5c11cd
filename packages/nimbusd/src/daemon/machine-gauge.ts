/** Machines by lifecycle state, counted in the store for the `nimbusd_machines` gauge. */
import type { MachineState } from '@nimbus/core';
import type { Store } from '../state/store.ts';

/** One grouped query, so a refresh stays cheap with thousands of machines. */
export function countMachinesByState(store: Pick<Store, 'db'>): Partial<Record<MachineState, number>> {
  const rows = store.db.prepare('SELECT state, count(*) AS n FROM machines GROUP BY state').all() as { state: MachineState; n: number }[];
  const counts: Partial<Record<MachineState, number>> = {};
  for (const row of rows) counts[row.state] = Number(row.n);
  return counts;
}
