import type { Tx } from '../db/client.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  staffId: number | null;
  /** e.g. "campaign.create", "signature.hold" */
  action: string;
  entityType: string;
  entityId: string | number | null;
  before?: unknown;
  after?: unknown;
}

/** Records one staff write. Call it inside the transaction of the write it describes. */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    staffId: entry.staffId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId === null ? null : String(entry.entityId),
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
