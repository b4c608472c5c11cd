import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.ts';
import { verifyAudit } from '../../state/audit.ts';
import { openStateDatabase, stateDbPath } from '../../state/database.ts';
import { AuditChainBrokenError } from '../../state/errors.ts';

/** The `--json` payload of an intact chain. */
export interface AuditVerifyResult {
  records: number;
  intact: true;
}

export default class AuditVerify extends BaseCommand<AuditVerifyResult> {
  static override summary = "Check the audit log's hash chain from its first record to its last.";
  static override description =
    'Exits 0 when every record hashes correctly and follows the one before it; exits 1 naming the first record that breaks the chain and how (edited, deleted, reordered, or records cut off the end). Opens the state database read-only.';
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --state-dir /srv/nimbus --json'];
  static override flags = {
    'state-dir': Flags.directory({ description: 'Directory holding the state database.', default: '/var/lib/nimbus' }),
  };

  async run(): Promise<AuditVerifyResult> {
    const { flags } = await this.parse(AuditVerify);
    const db = openStateDatabase(stateDbPath(flags['state-dir']), { readOnly: true });
    try {
      const verdict = verifyAudit(db);
      if (!verdict.ok) {
        const intact = verdict.records === 0 ? 'no record before it verifies' : `records 1–${verdict.records} verify`;
        throw new AuditChainBrokenError(`audit chain broken at record ${verdict.seq}: ${verdict.message} (${intact})`);
      }
      this.log(`${verdict.records} records, chain intact`);
      return { records: verdict.records, intact: true };
    } finally {
      db.close();
    }
  }
}
