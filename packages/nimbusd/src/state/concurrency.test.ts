import { spawn, execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RaceOutcome } from './testdata/allocation-race.ts';
import { SYSTEM, enrollReady, openTestStore, tempStateDir } from './testdata/fixtures.ts';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const NODE_ARGS = ['--conditions=nimbus:source', '--no-warnings'];

describe('allocation race', () => {
  it('100 attempts on 100 connections from 10 threads for one ready machine: exactly one wins', async () => {
    const path = join(tempStateDir(), 'nimbusd.sqlite');
    const setup = openTestStore(path);
    const machineId = enrollReady(setup, 'only');
    setup.close();

    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_ARGS, join(testdata, 'allocation-race.ts'), path, '10', '10']);
    const outcomes = JSON.parse(stdout) as RaceOutcome[];

    expect(outcomes).toHaveLength(100);
    const winners = outcomes.filter((o) => 'won' in o);
    const losers = outcomes.filter((o) => !('won' in o));
    expect(winners).toHaveLength(1);
    expect(losers.every((o) => 'code' in o && o.code === 'CONFLICT')).toBe(true);

    const store = openTestStore(path);
    try {
      expect(store.getMachine(machineId).state).toBe('allocated');
      expect(store.listInstances()).toEqual([expect.objectContaining({ id: (winners[0] as { won: string }).won, machineId })]);
      expect(store.verifyAudit()).toEqual({ ok: true, records: 4 });
    } finally {
      store.close();
    }
  });
});

/** Spawns the crash writer and kills it with SIGKILL once it has reported `after` commits; returns the last seq it reported. */
function runAndKill(path: string, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, join(testdata, 'crash-writer.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastSeq = 0;
    let seen = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        lastSeq = Number(line.split(' ')[1]);
        seen += 1;
      }
      if (seen >= after && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lastSeq);
      else reject(new Error(`crash writer exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it('after SIGKILL mid-stream the chain verifies, no acknowledged step is lost and no transition is half-written', async () => {
    const path = join(tempStateDir(), 'nimbusd.sqlite');
    for (const after of [15, 60, 33, 90, 7]) {
      const acknowledged = await runAndKill(path, after);
      const store = openTestStore(path);
      try {
        const verdict = store.verifyAudit();
        expect(verdict.ok).toBe(true);
        expect(verdict.records).toBeGreaterThanOrEqual(acknowledged);
        // Each machine is in the state its last audit record moved it to.
        for (const machine of store.listMachines()) {
          const last = store.db
            .prepare(
              `SELECT json_extract(detail, '$.to') AS "to" FROM audit
               WHERE (action = 'machine.transition' AND target = ?) OR json_extract(detail, '$.machine') = ?
               ORDER BY seq DESC LIMIT 1`,
            )
            .get(machine.id, machine.id) as { to: string | null } | undefined;
          expect(machine.state).toBe(last?.to ?? 'enrolled');
        }
        // A machine held by a tenant has exactly one live instance; a free one has none.
        for (const machine of store.listMachines()) {
          const live = store.listInstances({ live: true }).filter((i) => i.machineId === machine.id);
          const held = ['allocated', 'deploying', 'deployed'].includes(machine.state);
          if (held) expect(live).toHaveLength(1);
          if (machine.state === 'ready' || machine.state === 'enrolled' || machine.state === 'inspecting') expect(live).toHaveLength(0);
        }
        expect(store.db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
        // The store is usable again: one more step commits and verifies.
        store.recordAudit({ actor: SYSTEM, action: 'nimbusd.start', target: '-', result: 'ok' });
        expect(store.verifyAudit().ok).toBe(true);
      } finally {
        store.close();
      }
    }
  });
});
