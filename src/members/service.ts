import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { inboundMessages, signatures, supporters } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { recordAudit } from '../staff/audit.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { type MemberRow, parseMembersCsv, type Refusal } from './csv.js';

/** The terms recorded as consent for imported members: their consent was given elsewhere. */
export const IMPORT_CONSENT_TERMS = 'import';
export const MAX_IMPORT_ROWS = 200_000;
const LOOKUP_CHUNK = 5_000;
// 11 columns a row: well under Postgres's 65,535 parameters a statement.
const INSERT_CHUNK = 1_000;

export interface ImportResult {
  imported: number;
  /** Already a supporter (whether opted in or out), or a number given twice in the file. */
  skipped: number;
  /** Imported with a name that will be held for review when they sign. */
  held: number;
  refused: Refusal[];
  dryRun: boolean;
}

export interface EraseResult {
  erased: true;
  supporterId: number;
  /** Signatures taken off every future fax. */
  signaturesRemoved: number;
}

export interface MembersDeps {
  db: Db;
  clock: () => Date;
  phoneCrypto: PhoneCrypto;
  maxImportRows?: number;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Importing an existing SMS network, and erasing a supporter. `staffId` is who does it. */
export function createMembersService({
  db,
  clock,
  phoneCrypto,
  maxImportRows = MAX_IMPORT_ROWS,
}: MembersDeps) {
  async function existingIndexes(tx: Tx, indexes: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks(indexes, LOOKUP_CHUNK)) {
      const rows = await tx
        .select({ index: supporters.phoneIndex })
        .from(supporters)
        .where(inArray(supporters.phoneIndex, chunk));
      for (const row of rows) if (row.index) found.add(row.index);
    }
    return found;
  }

  async function insertMembers(tx: Tx, rows: { member: MemberRow; index: string }[], now: Date) {
    let inserted = 0;
    for (const chunk of chunks(rows, INSERT_CHUNK)) {
      const written = await tx
        .insert(supporters)
        .values(
          chunk.map(({ member, index }) => ({
            phoneCiphertext: phoneCrypto.encrypt(member.phone),
            phoneIndex: index,
            name: member.name,
            optedIn: true,
            consentAt: member.consentAt,
            consentTerms: IMPORT_CONSENT_TERMS,
            consentMessageSid: null,
            source: `import:${member.consentSource}`,
            createdAt: now,
            updatedAt: now,
          })),
        )
        // A number that texted in since the look-up is theirs already: skipped, not re-consented.
        .onConflictDoNothing({ target: supporters.phoneIndex })
        .returning({ id: supporters.id });
      inserted += written.length;
    }
    return inserted;
  }

  return {
    /**
     * Imports members from CSV (number, name, consent_date, consent_source). Every accepted row is
     * written in one transaction or none is; an existing supporter is never touched, so someone who
     * opted out is never opted back in. A dry run validates and counts without writing.
     */
    async importCsv(csv: string, options: { dryRun: boolean; staffId: number }): Promise<ImportResult> {
      const now = clock();
      const parsed = parseMembersCsv(csv, { now, maxRows: maxImportRows });
      const candidates = parsed.rows.map((member) => ({
        member,
        index: phoneCrypto.blindIndex(member.phone),
      }));
      const refused = parsed.refused;

      const run = async (tx: Tx) => {
        const existing = await existingIndexes(
          tx,
          candidates.map((c) => c.index),
        );
        const fresh = candidates.filter((c) => !existing.has(c.index));
        const imported = options.dryRun ? fresh.length : await insertMembers(tx, fresh, now);
        const counts = {
          imported,
          skipped: parsed.duplicates + candidates.length - imported,
          held: fresh.filter((c) => c.member.held).length,
        };
        if (!options.dryRun) {
          await recordAudit(tx, {
            staffId: options.staffId,
            action: 'members.import',
            entityType: 'supporter',
            entityId: null,
            after: { ...counts, refused: refused.length },
          });
        }
        return { ...counts, refused, dryRun: options.dryRun };
      };
      if (options.dryRun) return run(db);
      try {
        return await db.transaction(run);
      } catch (error) {
        // The driver's error quotes the statement's parameters (names among them), and it is logged.
        const code = (error as { cause?: { code?: string } }).cause?.code ?? 'unknown';
        throw new Error(`The members import failed (Postgres error ${code}) and was rolled back whole.`);
      }
    },

    /**
     * Removes a supporter's number and name from every row: supporter, signatures, messages. Their
     * signatures are hidden so that no future fax carries them (`signaturesRemoved` counts those not
     * yet faxed); the faxes already sent, and their batches' counts, stay as the record of what was sent.
     */
    async erase(phoneNumber: string, staffId: number): Promise<EraseResult> {
      const phone = normalisePhone(phoneNumber);
      if (!phone) throw new AppError(400, 'invalid_phone', 'That is not a phone number we can read.');
      const index = phoneCrypto.blindIndex(phone);
      const now = clock();
      return db.transaction(async (tx) => {
        const [supporter] = await tx
          .select({ id: supporters.id })
          .from(supporters)
          .where(eq(supporters.phoneIndex, index))
          .for('update');
        if (!supporter) throw notFound('Supporter');
        const supporterId = supporter.id;

        // Already faxed ones too: a signature without a name never goes on a fax again (a resent part
        // included), and only hidden or late signatures may lack one.
        const hidden = await tx
          .update(signatures)
          .set({ status: 'hidden' })
          .where(and(eq(signatures.supporterId, supporterId), inArray(signatures.status, ['valid', 'held'])))
          .returning({ batchId: signatures.batchId });
        const signaturesRemoved = hidden.filter((signature) => signature.batchId === null).length;
        await tx.update(signatures).set({ name: null }).where(eq(signatures.supporterId, supporterId));
        // Replies thank the supporter by name, so they go with the texts.
        const messages = await tx
          .update(inboundMessages)
          .set({ body: null, reply: '' })
          .where(eq(inboundMessages.supporterId, supporterId))
          .returning({ id: inboundMessages.id });
        await tx
          .update(supporters)
          .set({
            phoneCiphertext: null,
            phoneIndex: null,
            name: null,
            optedIn: false,
            optedOutAt: sql`coalesce(${supporters.optedOutAt}, ${now})`,
            pendingCampaignId: null,
            pendingAttempts: 0,
            erasedAt: now,
            updatedAt: now,
          })
          .where(eq(supporters.id, supporterId));
        await recordAudit(tx, {
          staffId,
          action: 'supporter.erase',
          entityType: 'supporter',
          entityId: supporterId,
          after: { signaturesRemoved, messagesCleared: messages.length },
        });
        return { erased: true as const, supporterId, signaturesRemoved };
      });
    },
  };
}
