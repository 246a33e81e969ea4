import type { Db } from '../db/client.js';
import { decodeCursor, toPage } from '../db/pagination.js';
import type { StaffRole } from '../db/rows.js';
import { AppError, notFound } from '../errors.js';
import { auditLogLines, recordAudit } from './audit.repository.js';
import { createPasswordLinkService } from './links.js';
import { verifyStaffPassword } from './passwords.js';
import {
  apiTokensOf,
  insertApiToken,
  insertStaff,
  listStaff,
  lockStaffById,
  revokeApiToken,
  staffById,
  updateStaff,
} from './repository.js';
import { createSessionService } from './sessions.js';
import { deleteSessionsOf } from './sessions.repository.js';
import { generateApiToken, hashApiToken } from './tokens.js';

export type { StaffRole };
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'campaigner', 'viewer'];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Staff members, their API tokens and the audit log. `actorId` is who does it (null: the CLI). */
export function createStaffService({ db, clock }: { db: Db; clock: () => Date }) {
  const sessions = createSessionService({ db, clock });
  const links = createPasswordLinkService({ db, clock });
  return {
    /** A colleague invited from the console: an account and a one-time link to set its password. */
    invite: links.invite,
    /** A one-time link that sets a new password for a staff member. */
    resetLink: links.reset,
    /** Whose a password link is, while it works. */
    passwordLink: links.lookUp,
    /** Sets a password through a link, spending it. */
    usePasswordLink: links.use,
    /** A signed-in person's change of their own password. */
    changePassword: links.change,

    /** Creates a staff member and a first API token; the token is returned once and stored hashed. */
    async create(input: { email: string; role: StaffRole }, actorId: number | null = null) {
      const email = input.email.trim();
      if (!EMAIL.test(email)) throw new AppError(400, 'invalid_email', 'That is not an e-mail address.');
      if (!STAFF_ROLES.includes(input.role)) {
        throw new AppError(400, 'invalid_role', `Role must be one of ${STAFF_ROLES.join(', ')}.`);
      }
      const token = generateApiToken();
      const member = await db.transaction(async (tx) => {
        const row = await insertStaff(tx, { email, role: input.role });
        if (!row)
          throw new AppError(409, 'staff_exists', `There is already a staff member with e-mail ${email}.`);
        await insertApiToken(tx, { staffId: row.id, tokenHash: hashApiToken(token), label: 'first token' });
        await recordAudit(tx, {
          staffId: actorId,
          action: 'staff.create',
          entityType: 'staff',
          entityId: row.id,
          after: row,
        });
        return row;
      });
      return { staff: member, token };
    },

    list() {
      return listStaff(db);
    },

    async update(id: number, change: { role?: StaffRole; disabled?: boolean }, actorId: number) {
      if (change.role === undefined && change.disabled === undefined) {
        throw new AppError(400, 'nothing_to_change', 'Give a role, or whether the account is disabled.');
      }
      return db.transaction(async (tx) => {
        const before = await lockStaffById(tx, id);
        if (!before) throw notFound('Staff member');
        if (id === actorId && (change.disabled || (change.role && change.role !== 'admin'))) {
          throw new AppError(409, 'own_account', 'Admins cannot disable or demote themselves.');
        }
        const after = await updateStaff(tx, id, {
          ...(change.role ? { role: change.role } : {}),
          ...(change.disabled === undefined ? {} : { disabledAt: change.disabled ? clock() : null }),
        });
        // A disabled account is signed out everywhere at once, not at its sessions' next expiry.
        const sessionsEnded = change.disabled ? await deleteSessionsOf(tx, id) : 0;
        await recordAudit(tx, {
          staffId: actorId,
          action: 'staff.update',
          entityType: 'staff',
          entityId: id,
          before,
          after: { ...after, ...(sessionsEnded ? { sessionsEnded } : {}) },
        });
        return after;
      });
    },

    /** A new token for a staff member, shown once. */
    async createToken(staffId: number, label: string | null, actorId: number) {
      const token = generateApiToken();
      const row = await db.transaction(async (tx) => {
        if (!(await staffById(tx, staffId))) throw notFound('Staff member');
        const created = await insertApiToken(tx, { staffId, tokenHash: hashApiToken(token), label });
        await recordAudit(tx, {
          staffId: actorId,
          action: 'token.create',
          entityType: 'api_token',
          entityId: created?.id ?? null,
          after: { staffId, label },
        });
        return created;
      });
      return { ...row, token };
    },

    listTokens(staffId: number) {
      return apiTokensOf(db, staffId);
    },

    async revokeToken(tokenId: number, actorId: number) {
      return db.transaction(async (tx) => {
        const revoked = await revokeApiToken(tx, tokenId, clock());
        if (!revoked) throw notFound('Active token');
        await recordAudit(tx, {
          staffId: actorId,
          action: 'token.revoke',
          entityType: 'api_token',
          entityId: tokenId,
          after: revoked,
        });
        return revoked;
      });
    },

    /** The enabled staff member with this e-mail and console password, or null. */
    verifyPassword: (email: string, password: string) => verifyStaffPassword(db, email, password),

    /** Console sessions: started at sign-in, ended at sign-out; a session's staff member if it is live. */
    startSession: sessions.start,
    sessionStaff: sessions.staffOf,
    endSession: sessions.end,

    /**
     * The audit log, newest first, with who by e-mail; narrowed to one person (`staffId`, or 0 for the
     * system and the CLI), an action containing `action`, or one kind of thing (`entityType`).
     */
    async auditLog(
      cursor: string | undefined,
      limit: number,
      filter: { staffId?: number; action?: string; entityType?: string } = {},
    ) {
      const rows = await auditLogLines(db, { beforeId: decodeCursor(cursor), limit: limit + 1, ...filter });
      return toPage(rows, limit);
    },
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
