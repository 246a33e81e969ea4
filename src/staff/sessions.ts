import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import type { StaffRow } from '../db/rows.js';
import {
  deleteExpiredSessionsOf,
  deleteSessionByHash,
  insertSession,
  staffBySessionHash,
} from './sessions.repository.js';
import { hashApiToken } from './tokens.js';

// Typed from the row rather than from service.ts, which imports this file (no import circles).
export type ConsoleStaff = Pick<StaffRow, 'id' | 'email' | 'role'>;

/** How long a console session lasts (the cookie says the same). */
export const SESSION_HOURS = 12;

/**
 * Console sessions kept on the server: the sealed cookie carries a random id, and a session is only as
 * good as its row. Signing out ends that one; a new password or a disabled account ends them all
 * (`deleteSessionsOf`, in the transaction that makes the change).
 */
export function createSessionService({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    /** A new session for `staffId`; returns the id the cookie carries (its hash is what is stored). */
    async start(staffId: number): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      await db.transaction(async (tx) => {
        // Their sessions that ran out go when they sign in again, so the table never grows past use.
        await deleteExpiredSessionsOf(tx, staffId, now);
        await insertSession(tx, {
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
      return (await staffBySessionHash(db, hashApiToken(token), clock())) ?? null;
    },

    async end(token: string): Promise<void> {
      await deleteSessionByHash(db, hashApiToken(token));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
