import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { inboundMessages } from '../db/schema.js';

/** The statements on inbound_messages outside the inbound hot path (inbound.repository.ts). */

/** Clears the bodies of a supporter's texts and of our replies to them; returns how many texts. */
export async function clearTextsOf(tx: Tx, supporterId: number): Promise<number> {
  const cleared = await tx
    .update(inboundMessages)
    .set({ body: null, reply: '' })
    .where(eq(inboundMessages.supporterId, supporterId))
    .returning({ id: inboundMessages.id });
  return cleared.length;
}
