import { hash, verify } from '@node-rs/argon2';
import type { Db } from '../db/client.js';
import { AppError } from '../errors.js';
import { recordAudit } from './audit.repository.js';
import { enabledStaffByEmail, setPasswordHashByEmail } from './repository.js';
import type { ConsoleStaff } from './sessions.js';
import { deleteSessionsOf } from './sessions.repository.js';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** Checked against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong password. */
let decoyHash: Promise<string> | null = null;

/** An argon2id hash (the library's default algorithm) of a staff password. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export function checkPassword(password: string): string {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new AppError(
      400,
      'password_too_short',
      `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError(
      400,
      'password_too_long',
      `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
  return password;
}

/**
 * Sets (or replaces) the console password of the staff member with `email`, ending every console
 * session they have (a password changed because it leaked must shut out whoever used it); audited
 * without the hash.
 */
export async function setStaffPassword(
  db: Db,
  input: { email: string; password: string },
  actorId: number | null,
): Promise<{ id: number; email: string }> {
  const passwordHash = await hashPassword(checkPassword(input.password));
  return db.transaction(async (tx) => {
    const row = await setPasswordHashByEmail(tx, input.email, passwordHash);
    if (!row) throw new AppError(404, 'not_found', `There is no staff member with e-mail ${input.email}.`);
    const sessionsEnded = await deleteSessionsOf(tx, row.id);
    await recordAudit(tx, {
      staffId: actorId,
      action: 'staff.password',
      entityType: 'staff',
      entityId: row.id,
      after: { passwordSet: true, ...(sessionsEnded ? { sessionsEnded } : {}) },
    });
    return row;
  });
}

/** The enabled staff member with this e-mail and password, or null. */
export async function verifyStaffPassword(
  db: Db,
  email: string,
  password: string,
): Promise<ConsoleStaff | null> {
  const row = await enabledStaffByEmail(db, email);
  if (!row?.passwordHash || password.length > MAX_PASSWORD_LENGTH) {
    decoyHash ??= hashPassword('decoy password for unknown e-mails');
    await verify(await decoyHash, password.slice(0, MAX_PASSWORD_LENGTH));
    return null;
  }
  if (!(await verify(row.passwordHash, password))) return null;
  return { id: row.id, email: row.email, role: row.role };
}
