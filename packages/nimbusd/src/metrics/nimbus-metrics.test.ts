import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { MACHINE_STATES } from '@nimbus/core';
import { createNimbusMetrics, METRIC_NAMES } from './nimbus-metrics.ts';

describe('createNimbusMetrics', () => {
  it('registers on a registry of its own, so two sets do not collide and the global one stays empty', async () => {
    const a = createNimbusMetrics();
    const b = createNimbusMetrics();
    a.recordApiRequest('capacity', 'ok');
    expect(await b.apiRequests.get()).toMatchObject({ values: [] });
    expect(globalRegistry.getSingleMetric(METRIC_NAMES.machines)).toBeUndefined();
  });

  it('exports every machine state, a state left out as 0', async () => {
    const m = createNimbusMetrics({ defaultMetrics: false });
    m.setMachinesByState({ ready: 2, error: 1 });
    m.setMachinesByState({ ready: 3 });
    const values = Object.fromEntries((await m.machines.get()).values.map((v) => [v.labels.state, v.value]));
    expect(Object.keys(values).sort()).toEqual([...MACHINE_STATES].sort());
    expect(values).toMatchObject({ ready: 3, error: 0, enrolled: 0 });
  });

  it('counts a BMC call as an error only when it failed, but times every call', async () => {
    const m = createNimbusMetrics({ defaultMetrics: false });
    m.recordBmcCall('redfish', 'power.on', 'ok', 0.3);
    m.recordBmcCall('redfish', 'power.on', 'auth', 0.1);
    const errors = (await m.bmcCallErrors.get()).values;
    expect(errors).toEqual([{ labels: { driver: 'redfish', operation: 'power.on', result: 'auth' }, value: 1 }]);
    const counts = (await m.bmcCallDuration.get()).values.filter((v) => v.metricName === `${METRIC_NAMES.bmcCallDuration}_count`);
    expect(counts.map((v) => [v.labels.result, v.value])).toEqual([
      ['ok', 1],
      ['auth', 1],
    ]);
  });
});
