// Staff members and their API tokens; console sessions, password links and the audit log have
// repositories of their own beside this one.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { ApiTokenRow, StaffRole, StaffRow } from '../db/rows.js';
import { apiTokens, staff } from '../db/schema.js';

/** A staff member as the API and the console show one: never the password hash. */
export type StaffMember = Pick<StaffRow, 'id' | 'email' | 'role' | 'disabledAt' | 'createdAt'>;
/** Who a valid API token belongs to. */
export type TokenPrincipal = Pick<StaffRow, 'id' | 'email' | 'role'> & { tokenId: number };
export type ApiTokenSummary = Pick<ApiTokenRow, 'id' | 'label' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

const staffMember = {
  id: staff.id,
  email: staff.email,
  role: staff.role,
  disabledAt: staff.disabledAt,
  createdAt: staff.createdAt,
};

/** E-mails are unique without regard to case. */
const emailIs = (email: string) => eq(sql`lower(${staff.email})`, email.trim().toLowerCase());

/** The new staff member, or undefined when one with that e-mail exists. */
export async function insertStaff(
  tx: Tx,
  values: { email: string; role: StaffRole },
): Promise<StaffMember | undefined> {
  const [row] = await tx.insert(staff).values(values).onConflictDoNothing().returning(staffMember);
  return row;
}

export function listStaff(tx: Tx): Promise<StaffMember[]> {
  return tx.select(staffMember).from(staff).orderBy(staff.id);
}

export async function staffById(tx: Tx, id: number): Promise<StaffMember | undefined> {
  const [row] = await tx.select(staffMember).from(staff).where(eq(staff.id, id));
  return row;
}

/** The same, locking the row until the transaction ends. */
export async function lockStaffById(tx: Tx, id: number): Promise<StaffMember | undefined> {
  const [row] = await tx.select(staffMember).from(staff).where(eq(staff.id, id)).for('update');
  return row;
}

export async function updateStaff(
  tx: Tx,
  id: number,
  change: { role?: StaffRole; disabledAt?: Date | null },
): Promise<StaffMember | undefined> {
  const [row] = await tx.update(staff).set(change).where(eq(staff.id, id)).returning(staffMember);
  return row;
}

export async function setPasswordHash(tx: Tx, id: number, passwordHash: string): Promise<void> {
  await tx.update(staff).set({ passwordHash }).where(eq(staff.id, id));
}

/** Sets the password hash of the staff member with `email`; who they are, or undefined if nobody. */
export async function setPasswordHashByEmail(
  tx: Tx,
  email: string,
  passwordHash: string,
): Promise<Pick<StaffRow, 'id' | 'email'> | undefined> {
  const [row] = await tx
    .update(staff)
    .set({ passwordHash })
    .where(emailIs(email))
    .returning({ id: staff.id, email: staff.email });
  return row;
}

/** The enabled staff member with `email`, with their password hash (null until they set one). */
export async function enabledStaffByEmail(
  tx: Tx,
  email: string,
): Promise<Pick<StaffRow, 'id' | 'email' | 'role' | 'passwordHash'> | undefined> {
  const [row] = await tx
    .select({ id: staff.id, email: staff.email, role: staff.role, passwordHash: staff.passwordHash })
    .from(staff)
    .where(and(emailIs(email), isNull(staff.disabledAt)));
  return row;
}

export async function insertApiToken(
  tx: Tx,
  values: { staffId: number; tokenHash: string; label: string | null },
): Promise<Pick<ApiTokenRow, 'id' | 'label' | 'createdAt'> | undefined> {
  const [row] = await tx
    .insert(apiTokens)
    .values(values)
    .returning({ id: apiTokens.id, label: apiTokens.label, createdAt: apiTokens.createdAt });
  return row;
}

export function apiTokensOf(tx: Tx, staffId: number): Promise<ApiTokenSummary[]> {
  return tx
    .select({
      id: apiTokens.id,
      label: apiTokens.label,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.staffId, staffId))
    .orderBy(apiTokens.id);
}

/** Revokes a token not yet revoked; undefined if there is none such. */
export async function revokeApiToken(
  tx: Tx,
  tokenId: number,
  at: Date,
): Promise<Pick<ApiTokenRow, 'id' | 'staffId' | 'revokedAt'> | undefined> {
  const [row] = await tx
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, staffId: apiTokens.staffId, revokedAt: apiTokens.revokedAt });
  return row;
}

/** The enabled staff member whose unrevoked token has this hash. */
export async function principalByTokenHash(tx: Tx, tokenHash: string): Promise<TokenPrincipal | undefined> {
  const [row] = await tx
    .select({ id: staff.id, email: staff.email, role: staff.role, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(staff, eq(staff.id, apiTokens.staffId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt), isNull(staff.disabledAt)))
    .limit(1);
  return row;
}

export async function markApiTokenUsed(tx: Tx, tokenId: number, at: Date): Promise<void> {
  await tx.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, tokenId));
}
