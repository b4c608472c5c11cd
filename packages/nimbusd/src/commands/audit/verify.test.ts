import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTestStore, enrollReady, tempStateDir } from '../../state/testdata/fixtures.ts';
import AuditVerify from './verify.ts';

/** Runs `nimbusd audit verify` in-process; returns its result, stdout and exit status. */
async function verify(argv: string[]): Promise<{ result: unknown; stdout: string; exitCode: number }> {
  const chunks: string[] = [];
  // oclif prints through console.log.
  const write = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    chunks.push(`${String(line)}\n`);
  });
  try {
    const result = await AuditVerify.run(argv, import.meta.url);
    return { result, stdout: chunks.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
  }
}

function stateDirWithLog(): string {
  const dir = tempStateDir();
  const store = openTestStore(join(dir, 'nimbusd.sqlite'));
  enrollReady(store, 'node1');
  enrollReady(store, 'node2');
  store.close();
  return dir;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('nimbusd audit verify', () => {
  it('reports an intact chain with exit 0', async () => {
    const dir = stateDirWithLog();
    const { result, stdout, exitCode } = await verify(['--state-dir', dir]);
    expect(result).toEqual({ records: 6, intact: true });
    expect(stdout).toBe('6 records, chain intact\n');
    expect(exitCode).toBe(0);
  });

  it('names the edited record with exit 1 and a JSON error', async () => {
    const dir = stateDirWithLog();
    const store = openTestStore(join(dir, 'nimbusd.sqlite'));
    store.db.exec(`UPDATE audit SET target = 'machine-9' WHERE seq = 3`);
    store.close();
    const { stdout, exitCode } = await verify(['--state-dir', dir, '--json']);
    expect(exitCode).toBe(1);
    const json = JSON.parse(stdout) as { code: string; message: string; status: number };
    expect(json).toMatchObject({ status: 1, code: 'AUDIT_CHAIN_BROKEN' });
    expect(json.message).toBe('audit chain broken at record 3: record 3 was edited: its contents do not match its hash (records 1–2 verify)');
  });

  it('says the state database is missing', async () => {
    const { stdout, exitCode } = await verify(['--state-dir', tempStateDir(), '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ code: 'STATE_STORE', message: expect.stringMatching(/no state database at .*nimbusd.sqlite/) });
  });
});
