import type { Db } from '../db/client.js';
import { apiTokens, staff } from '../db/schema.js';
import { AppError } from '../errors.js';
import { generateApiToken, hashApiToken } from './tokens.js';

export type StaffRole = (typeof staff.$inferSelect)['role'];
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'campaigner', 'viewer'];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function createStaffService({ db }: { db: Db }) {
  return {
    /** Creates a staff member and a first API token; the token is returned once and stored hashed. */
    async create(input: { email: string; role: StaffRole }) {
      const email = input.email.trim();
      if (!EMAIL.test(email)) throw new AppError(400, 'invalid_email', 'That is not an e-mail address.');
      if (!STAFF_ROLES.includes(input.role)) {
        throw new AppError(400, 'invalid_role', `Role must be one of ${STAFF_ROLES.join(', ')}.`);
      }
      const token = generateApiToken();
      const member = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(staff)
          .values({ email, role: input.role })
          .onConflictDoNothing()
          .returning({ id: staff.id, email: staff.email, role: staff.role });
        if (!row)
          throw new AppError(409, 'staff_exists', `There is already a staff member with e-mail ${email}.`);
        await tx
          .insert(apiTokens)
          .values({ staffId: row.id, tokenHash: hashApiToken(token), label: 'first token' });
        return row;
      });
      return { staff: member, token };
    },
  };
}
