/**
 * Walks the machines of a state database around the lifecycle forever (allocating,
 * deploying, failing now and then, releasing), printing `committed SEQ` after every
 * committed step, until it is killed. Run with `node --conditions=nimbus:source crash-writer.ts DB`.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../audit.ts';
import { Store } from '../store.ts';

const SYSTEM: Actor = { fingerprint: 'nimbusd', role: 'system' };
const TENANT: Actor = { fingerprint: 'SHA256:crash-tenant', role: 'tenant' };

const store = new Store({ path: process.argv[2]!, clock: () => new Date() });
if (store.listMachines().length === 0) {
  for (const [i, name] of ['c1', 'c2', 'c3', 'c4'].entries()) {
    store.enrollMachine({ name, bmc: { driver: 'ipmi', address: `${name}-bmc:623`, credentialsFile: `/etc/nimbus/${name}.pw` }, bootMacs: [`02:00:00:00:00:0${i}`] }, SYSTEM);
  }
}

let step = 0;
for (;;) {
  for (const machine of store.listMachines()) {
    step += 1;
    const id = machine.id;
    switch (machine.state) {
      case 'enrolled':
        store.transition(id, 'enrolled', 'inspecting', SYSTEM);
        break;
      case 'inspecting':
        store.transition(id, 'inspecting', 'ready', SYSTEM);
        break;
      case 'ready':
        store.allocate({ tenant: TENANT.fingerprint, request: { step }, idempotencyKey: randomUUID(), actor: TENANT, machineId: id });
        break;
      case 'allocated':
        store.transition(id, 'allocated', 'deploying', SYSTEM);
        break;
      case 'deploying':
        if (step % 7 === 0) store.transition(id, 'deploying', 'error', SYSTEM, { error: 'deploy ramdisk stopped reporting', hint: 'retry' });
        else store.transition(id, 'deploying', 'deployed', SYSTEM);
        break;
      case 'deployed': {
        const [instance] = store.listInstances({ live: true }).filter((i) => i.machineId === id);
        store.release(instance!.id, TENANT, TENANT.fingerprint);
        break;
      }
      case 'error':
        store.transition(id, 'error', 'releasing', SYSTEM);
        break;
      case 'releasing':
        store.transition(id, 'releasing', 'ready', SYSTEM, { wiped: true });
        break;
    }
    process.stdout.write(`committed ${store.auditTail(1)[0]!.seq}\n`);
  }
}
