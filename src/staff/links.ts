import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db/client.js';
import type { PasswordLinkPurpose, StaffRole } from '../db/rows.js';
import { AppError } from '../errors.js';
import { recordAudit } from './audit.repository.js';
import { insertPasswordLink, liveLinkByHash, spendLiveLink, spendOpenLinksOf } from './links.repository.js';
import { checkPassword, hashPassword, verifyStaffPassword } from './passwords.js';
import { insertStaff, setPasswordHash, staffById } from './repository.js';
import { deleteSessionsOf } from './sessions.repository.js';
import { hashApiToken } from './tokens.js';

export type LinkPurpose = PasswordLinkPurpose;

/** How long a link works: a week to accept an invitation, a day for a reset. */
export const LINK_HOURS: Record<LinkPurpose, number> = { invite: 7 * 24, reset: 24 };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const gone = () =>
  new AppError(
    410,
    'link_spent',
    'This link has been used, has expired or has been replaced by a newer one. Ask an admin for a new one.',
  );

/**
 * One-time links through which staff set their console password (an invitation, a reset), and each
 * person's change of their own. Whatever sets a password ends all of that person's sessions.
 */
export function createPasswordLinkService({ db, clock }: { db: Db; clock: () => Date }) {
  /** A new link for `staffId`; any unused one of theirs stops working. Returns the token, shown once. */
  async function issue(tx: Tx, staffId: number, purpose: LinkPurpose, actorId: number) {
    const token = randomBytes(32).toString('base64url');
    const now = clock();
    await spendOpenLinksOf(tx, staffId, now);
    const expiresAt = new Date(now.getTime() + LINK_HOURS[purpose] * 3_600_000);
    await insertPasswordLink(tx, {
      staffId,
      purpose,
      tokenHash: hashApiToken(token),
      createdBy: actorId,
      createdAt: now,
      expiresAt,
    });
    return { token, expiresAt };
  }

  async function setPassword(tx: Tx, staffId: number, password: string, action: string, actorId: number) {
    const passwordHash = await hashPassword(checkPassword(password));
    await setPasswordHash(tx, staffId, passwordHash);
    const sessionsEnded = await deleteSessionsOf(tx, staffId);
    await recordAudit(tx, {
      staffId: actorId,
      action,
      entityType: 'staff',
      entityId: staffId,
      after: { passwordSet: true, ...(sessionsEnded ? { sessionsEnded } : {}) },
    });
  }

  return {
    /** A colleague's account, with no password until they set one through the link returned. */
    async invite(input: { email: string; role: StaffRole }, actorId: number) {
      const email = input.email.trim();
      if (!EMAIL.test(email)) {
        throw new AppError(400, 'invalid_email', 'That is not an e-mail address.', 'email');
      }
      return db.transaction(async (tx) => {
        const created = await insertStaff(tx, { email, role: input.role });
        if (!created) {
          throw new AppError(
            409,
            'staff_exists',
            `There is already a staff member with e-mail ${email}.`,
            'email',
          );
        }
        const row = { id: created.id, email: created.email, role: created.role };
        await recordAudit(tx, {
          staffId: actorId,
          action: 'staff.invite',
          entityType: 'staff',
          entityId: row.id,
          after: { email: row.email, role: row.role },
        });
        return { staff: row, ...(await issue(tx, row.id, 'invite', actorId)) };
      });
    },

    /** A reset link for a staff member (their password keeps working until the link is used). */
    async reset(staffId: number, actorId: number) {
      return db.transaction(async (tx) => {
        const row = await staffById(tx, staffId);
        if (!row) throw new AppError(404, 'not_found', 'No such staff member.');
        if (row.disabledAt) {
          throw new AppError(409, 'staff_disabled', 'Enable the account before resetting its password.');
        }
        await recordAudit(tx, {
          staffId: actorId,
          action: 'staff.reset-link',
          entityType: 'staff',
          entityId: staffId,
        });
        return { email: row.email, ...(await issue(tx, staffId, 'reset', actorId)) };
      });
    },

    /** Whose link this is and what for, while it works; else a 410. */
    async lookUp(token: string) {
      const row = await liveLinkByHash(db, hashApiToken(token), clock());
      if (!row) throw gone();
      return row;
    },

    /** Sets the password through the link, spending it; returns who, to sign them in. */
    async use(token: string, password: string) {
      checkPassword(password);
      return db.transaction(async (tx) => {
        const link = await spendLiveLink(tx, hashApiToken(token), clock());
        if (!link) throw gone();
        await setPassword(
          tx,
          link.staffId,
          password,
          link.purpose === 'invite' ? 'staff.accept-invite' : 'staff.password-reset',
          link.staffId,
        );
        return link.staffId;
      });
    },

    /** Each person's change of their own password: the current one first. */
    async change(member: { id: number; email: string }, current: string, next: string) {
      if (!(await verifyStaffPassword(db, member.email, current))) {
        throw new AppError(400, 'wrong_password', 'That is not your current password.', 'current');
      }
      try {
        checkPassword(next);
      } catch (error) {
        if (error instanceof AppError) throw new AppError(400, error.code, error.message, 'password');
        throw error;
      }
      await db.transaction((tx) => setPassword(tx, member.id, next, 'staff.password-change', member.id));
    },
  };
}

export type PasswordLinkService = ReturnType<typeof createPasswordLinkService>;
