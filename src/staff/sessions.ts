import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { staff, staffSessions } from '../db/schema.js';
import { hashApiToken } from './tokens.js';

// Typed from the table rather than from service.ts, which imports this file (no import circles).
export type ConsoleStaff = Pick<typeof staff.$inferSelect, 'id' | 'email' | 'role'>;

/** How long a console session lasts (the cookie says the same). */
export const SESSION_HOURS = 12;

/**
 * Console sessions kept on the server: the sealed cookie carries a random id, and a session is only as
 * good as its row. Signing out ends that one; a new password or a disabled account ends them all.
 */
export function createSessions({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    /** A new session for `staffId`; returns the id the cookie carries (its hash is what is stored). */
    async start(staffId: number): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      await db.transaction(async (tx) => {
        // Their sessions that ran out go when they sign in again, so the table never grows past use.
        await tx
          .delete(staffSessions)
          .where(and(eq(staffSessions.staffId, staffId), lte(staffSessions.expiresAt, now)));
        await tx.insert(staffSessions).values({
          staffId,
          tokenHash: hashApiToken(token),
          createdAt: now,
          expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
        });
      });
      return token;
    },

    /** The enabled staff member whose live session this is, or null. */
    async staffOf(token: string): Promise<ConsoleStaff | null> {
      const [row] = await db
        .select({ id: staff.id, email: staff.email, role: staff.role })
        .from(staffSessions)
        .innerJoin(staff, eq(staff.id, staffSessions.staffId))
        .where(
          and(
            eq(staffSessions.tokenHash, hashApiToken(token)),
            gt(staffSessions.expiresAt, clock()),
            isNull(staff.disabledAt),
          ),
        );
      return row ?? null;
    },

    async end(token: string): Promise<void> {
      await db.delete(staffSessions).where(eq(staffSessions.tokenHash, hashApiToken(token)));
    },
  };
}

/** Ends every console session of a staff member, in the transaction that changes their password or account. */
export async function endAllSessions(tx: Tx, staffId: number): Promise<number> {
  const ended = await tx
    .delete(staffSessions)
    .where(eq(staffSessions.staffId, staffId))
    .returning({ id: staffSessions.id });
  return ended.length;
}
