// Console sessions (staff_sessions): their staff member is read by a join on staff, a table of this room.
import { and, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { StaffRow } from '../db/rows.js';
import { staff, staffSessions } from '../db/schema.js';

/** Deletes the sessions of `staffId` that ran out by `now`. */
export async function deleteExpiredSessionsOf(tx: Tx, staffId: number, now: Date): Promise<void> {
  await tx
    .delete(staffSessions)
    .where(and(eq(staffSessions.staffId, staffId), lte(staffSessions.expiresAt, now)));
}

export async function insertSession(
  tx: Tx,
  values: { staffId: number; tokenHash: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await tx.insert(staffSessions).values(values);
}

/** The enabled staff member whose session with this hash is live at `now`. */
export async function staffBySessionHash(
  tx: Tx,
  tokenHash: string,
  now: Date,
): Promise<Pick<StaffRow, 'id' | 'email' | 'role'> | undefined> {
  const [row] = await tx
    .select({ id: staff.id, email: staff.email, role: staff.role })
    .from(staffSessions)
    .innerJoin(staff, eq(staff.id, staffSessions.staffId))
    .where(
      and(eq(staffSessions.tokenHash, tokenHash), gt(staffSessions.expiresAt, now), isNull(staff.disabledAt)),
    );
  return row;
}

export async function deleteSessionByHash(tx: Tx, tokenHash: string): Promise<void> {
  await tx.delete(staffSessions).where(eq(staffSessions.tokenHash, tokenHash));
}

/** Deletes every session of `staffId`; returns how many there were. */
export async function deleteSessionsOf(tx: Tx, staffId: number): Promise<number> {
  const ended = await tx
    .delete(staffSessions)
    .where(eq(staffSessions.staffId, staffId))
    .returning({ id: staffSessions.id });
  return ended.length;
}
