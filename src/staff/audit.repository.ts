import { and, desc, eq, ilike, isNull, lt, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { AuditLogEntryRow, StaffRow } from '../db/rows.js';
import { auditLog, staff } from '../db/schema.js';

export interface AuditEntry {
  staffId: number | null;
  /** e.g. "campaign.create", "signature.hold" */
  action: string;
  entityType: string;
  entityId: string | number | null;
  before?: unknown;
  after?: unknown;
}

/** An entry of the log with who wrote it by e-mail (null: the system or the CLI). */
export type AuditLogLine = AuditLogEntryRow & { email: StaffRow['email'] | null };

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

/**
 * Up to `limit` entries, newest first, with ids below `beforeId` if given; narrowed to one person
 * (`staffId`, or 0 for the system and the CLI), an action containing `action`, or one `entityType`.
 */
export function auditLogLines(
  tx: Tx,
  query: { beforeId: number | null; limit: number; staffId?: number; action?: string; entityType?: string },
): Promise<AuditLogLine[]> {
  const conditions: Array<SQL | undefined> = [
    query.beforeId === null ? undefined : lt(auditLog.id, query.beforeId),
    query.staffId === undefined
      ? undefined
      : query.staffId === 0
        ? isNull(auditLog.staffId)
        : eq(auditLog.staffId, query.staffId),
    // The text is matched as typed: ILIKE's wildcards in it are escaped.
    query.action ? ilike(auditLog.action, `%${query.action.replace(/[\\%_]/g, '\\$&')}%`) : undefined,
    query.entityType ? eq(auditLog.entityType, query.entityType) : undefined,
  ];
  return tx
    .select({
      id: auditLog.id,
      staffId: auditLog.staffId,
      email: staff.email,
      action: auditLog.action,
      entityType: auditLog.entityType,
      entityId: auditLog.entityId,
      before: auditLog.before,
      after: auditLog.after,
      at: auditLog.at,
    })
    .from(auditLog)
    .leftJoin(staff, eq(staff.id, auditLog.staffId))
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(query.limit);
}
