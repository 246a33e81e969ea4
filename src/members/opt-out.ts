import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';

/** Twilio will not text this number again until they text START: our list says the same. */
export async function markUnsubscribed(tx: Tx, supporterId: number | string, at: Date): Promise<void> {
  await tx.execute(sql`
    UPDATE supporters SET opted_in = false, opted_out_at = ${at.toISOString()}, updated_at = now()
    WHERE id = ${supporterId} AND opted_in`);
}
