// One-time password links (staff_password_links), read with their staff member.
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { PasswordLinkPurpose, StaffPasswordLinkRow, StaffRow } from '../db/rows.js';
import { staff, staffPasswordLinks } from '../db/schema.js';

/** A link whose staff member is enabled, unused and not expired at `now`. */
export type LiveLink = Pick<StaffRow, 'email' | 'role'> &
  Pick<StaffPasswordLinkRow, 'staffId' | 'purpose' | 'expiresAt'>;

/** Marks every unused link of `staffId` as used at `at`, so that none of them works any more. */
export async function spendOpenLinksOf(tx: Tx, staffId: number, at: Date): Promise<void> {
  await tx
    .update(staffPasswordLinks)
    .set({ usedAt: at })
    .where(and(eq(staffPasswordLinks.staffId, staffId), isNull(staffPasswordLinks.usedAt)));
}

export async function insertPasswordLink(
  tx: Tx,
  values: {
    staffId: number;
    purpose: PasswordLinkPurpose;
    tokenHash: string;
    createdBy: number;
    createdAt: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.insert(staffPasswordLinks).values(values);
}

const live = (tokenHash: string, now: Date) =>
  and(
    eq(staffPasswordLinks.tokenHash, tokenHash),
    isNull(staffPasswordLinks.usedAt),
    gt(staffPasswordLinks.expiresAt, now),
  );

export async function liveLinkByHash(tx: Tx, tokenHash: string, now: Date): Promise<LiveLink | undefined> {
  const [row] = await tx
    .select({
      staffId: staff.id,
      email: staff.email,
      role: staff.role,
      purpose: staffPasswordLinks.purpose,
      expiresAt: staffPasswordLinks.expiresAt,
    })
    .from(staffPasswordLinks)
    .innerJoin(staff, eq(staff.id, staffPasswordLinks.staffId))
    .where(and(live(tokenHash, now), isNull(staff.disabledAt)));
  return row;
}

/** Marks the live link with this hash as used at `now`; whose and what for, or undefined if none. */
export async function spendLiveLink(
  tx: Tx,
  tokenHash: string,
  now: Date,
): Promise<Pick<StaffPasswordLinkRow, 'staffId' | 'purpose'> | undefined> {
  const [row] = await tx
    .update(staffPasswordLinks)
    .set({ usedAt: now })
    .where(
      and(
        live(tokenHash, now),
        sql`EXISTS (SELECT 1 FROM staff
          WHERE staff.id = ${staffPasswordLinks.staffId} AND staff.disabled_at IS NULL)`,
      ),
    )
    .returning({ staffId: staffPasswordLinks.staffId, purpose: staffPasswordLinks.purpose });
  return row;
}
