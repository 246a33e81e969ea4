import { and, eq, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { Db } from '../db/client.js';
import * as schema from '../db/schema.js';
import { inboundMessages, outboundMessages, signatures, supporters } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { recordAudit } from '../staff/audit.repository.js';
import { HOLD_RULES } from '../supporters/names.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { type MemberRow, type MembersFile, type Refusal, readMembersCsv } from './csv.js';
import { TEXTABLE_MEMBER } from './membership.repository.js';

/** The terms recorded as consent for imported members: their consent was given elsewhere. */
export const IMPORT_CONSENT_TERMS = 'import';
export const MAX_IMPORT_ROWS = 200_000;
/** A network of 200,000 members is about 11 MB. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** Rows a statement writes into the staging table. */
const STAGING_CHUNK = 1_000;
/**
 * Any fixed number (beside the migrations' 7_050_5001): one members import at a time, across processes.
 * Held by a synchronous import for its whole run, and by an import job's upload while it writes the
 * job's row.
 */
export const IMPORT_LOCK_ID = 7_050_5002;

export const importRunning = () =>
  new AppError(
    409,
    'import_running',
    'Another members import is running; send this file again once it has finished.',
  );

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
  /** The import stages its rows in a temporary table, so it holds one connection of its own. */
  pool: pg.Pool;
  clock: () => Date;
  phoneCrypto: PhoneCrypto;
  maxImportRows?: number;
}

export interface Counts {
  /** Accepted rows, a number given twice counted twice. */
  valid: number;
  imported: number;
  held: number;
}

/**
 * Checked rows waiting to be merged: a synchronous import's temporary table, or an import job's rows
 * of member_import_checked. Both have the columns line, phone_ciphertext, phone_index, name, held,
 * consent_at and consent_source.
 */
export type StagedRows = SQL;

/**
 * The first row of each number in the file (by line), as staged. Rows from an earlier line win, so a
 * number given twice keeps its first name and consent.
 */
const firstOfEachNumber = (staged: StagedRows) =>
  sql`SELECT DISTINCT ON (phone_index) * FROM (${staged}) staged ORDER BY phone_index, line`;

/**
 * Moves the staged rows into supporters, each new number once, in the caller's transaction;
 * existing members are never touched (a number that only texted becomes a member).
 */
export const moveStaged = (staged: StagedRows, now: Date) => sql`
    WITH fresh AS (${firstOfEachNumber(staged)}),
    inserted AS (
      INSERT INTO supporters (phone_ciphertext, phone_index, name, name_cleared_under, opted_in, consent_at,
                              consent_terms, consent_message_sid, source, created_at, updated_at)
      SELECT phone_ciphertext, phone_index, name,
             CASE WHEN name IS NOT NULL AND NOT held THEN ${HOLD_RULES}::text END, true, consent_at,
             ${IMPORT_CONSENT_TERMS}::text, NULL, 'import:' || consent_source, ${now}::timestamptz,
             ${now}::timestamptz
        FROM fresh ORDER BY line
      -- A member already is theirs: skipped, not re-consented. A number that only texted (HELP, hello)
      -- was not a member: the import's consent makes it one, its name and opt-out kept.
      ON CONFLICT (phone_index) DO UPDATE
        SET consent_at = excluded.consent_at, consent_terms = excluded.consent_terms,
            source = excluded.source, updated_at = excluded.updated_at
        WHERE supporters.consent_at IS NULL AND supporters.erased_at IS NULL
      RETURNING phone_index, xmax = 0 AS inserted
    )
    SELECT (SELECT count(*) FROM (${staged}) staged)::int AS valid, count(*)::int AS imported,
           count(*) FILTER (WHERE fresh.held AND inserted.inserted)::int AS held
      FROM inserted JOIN fresh USING (phone_index)`;

/** What moving the staged rows would do, without moving them. */
export const countStaged = (staged: StagedRows) => sql`
    WITH fresh AS (${firstOfEachNumber(staged)})
    SELECT (SELECT count(*) FROM (${staged}) staged)::int AS valid, count(*)::int AS imported,
           count(*) FILTER (WHERE held)::int AS held
      FROM fresh WHERE NOT EXISTS (
        SELECT 1 FROM supporters s
         WHERE s.phone_index = fresh.phone_index AND (s.consent_at IS NOT NULL OR s.erased_at IS NOT NULL))`;

export const resultOf = (counts: Counts | undefined) => ({
  imported: counts?.imported ?? 0,
  skipped: (counts?.valid ?? 0) - (counts?.imported ?? 0),
  held: counts?.held ?? 0,
});

const TEMPORARY_STAGING = sql`SELECT * FROM member_import`;

/** Importing an existing SMS network, and erasing a supporter. `staffId` is who does it. */
export function createMembersService({
  db,
  pool,
  clock,
  phoneCrypto,
  maxImportRows = MAX_IMPORT_ROWS,
}: MembersDeps) {
  /**
   * Writes checked rows into the staging table, a chunk a statement, as one JSON parameter read into
   * the table's own row type. A dry run needs no ciphertext, only the blind index.
   */
  async function stage(client: pg.PoolClient, rows: MemberRow[], dryRun: boolean) {
    if (rows.length === 0) return;
    const staged = rows.map((row) => ({
      line: row.line,
      phone_ciphertext: dryRun ? null : phoneCrypto.encrypt(row.phone),
      phone_index: phoneCrypto.blindIndex(row.phone),
      name: row.name,
      held: row.held,
      consent_at: row.consentAt,
      consent_source: row.consentSource,
    }));
    await client.query(
      `INSERT INTO member_import
       SELECT * FROM json_populate_recordset(NULL::member_import, $1::json)`,
      [JSON.stringify(staged)],
    );
  }

  return {
    /**
     * Imports members from CSV (number, name, consent_date, consent_source), read as it arrives: each
     * checked row is staged in a temporary table a chunk at a time, then every new number is moved
     * into supporters in one transaction, or none is. An existing supporter is never touched, so
     * someone who opted out is never opted back in. One import runs at a time (409 for another); a dry
     * run validates and counts without writing.
     */
    async importCsv(
      source: MembersFile,
      options: { dryRun: boolean; staffId: number },
    ): Promise<ImportResult> {
      const now = clock();
      const client = await pool.connect();
      const session = drizzle(client, { schema });
      let locked = false;
      try {
        if (!options.dryRun) {
          const { rows } = await client.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock($1) AS locked',
            [IMPORT_LOCK_ID],
          );
          locked = rows[0]?.locked === true;
          if (!locked) throw importRunning();
          // Nor beside an import job, waiting or running.
          const jobs = await client.query(
            `SELECT 1 FROM member_imports WHERE status IN ('queued', 'running') LIMIT 1`,
          );
          if (jobs.rowCount) throw importRunning();
        }
        await client.query('DROP TABLE IF EXISTS pg_temp.member_import');
        await client.query(`
          CREATE TEMPORARY TABLE member_import (
            line integer NOT NULL, phone_ciphertext text, phone_index text NOT NULL, name text,
            held boolean NOT NULL, consent_at timestamptz NOT NULL, consent_source text NOT NULL)`);
        const refused: Refusal[] = [];
        let chunk: MemberRow[] = [];
        const limits = { now, maxRows: maxImportRows, maxBytes: MAX_IMPORT_BYTES };
        for await (const line of readMembersCsv(source, limits)) {
          if ('refusal' in line) {
            refused.push(line.refusal);
            continue;
          }
          chunk.push(line.row);
          if (chunk.length === STAGING_CHUNK) {
            await stage(client, chunk, options.dryRun);
            chunk = [];
          }
        }
        await stage(client, chunk, options.dryRun);

        if (options.dryRun) {
          const { rows } = await session.execute<Counts & Record<string, unknown>>(
            countStaged(TEMPORARY_STAGING),
          );
          return { ...resultOf(rows[0]), refused, dryRun: true };
        }
        const result = await session.transaction(async (tx) => {
          const { rows } = await tx.execute<Counts & Record<string, unknown>>(
            moveStaged(TEMPORARY_STAGING, now),
          );
          const moved = resultOf(rows[0]);
          await recordAudit(tx, {
            staffId: options.staffId,
            action: 'members.import',
            entityType: 'supporter',
            entityId: null,
            after: { ...moved, refused: refused.length },
          });
          return moved;
        });
        return { ...result, refused, dryRun: false };
      } catch (error) {
        if (error instanceof AppError) throw error;
        const { code } = (error as { cause?: { code?: string } }).cause ?? (error as { code?: string });
        throw new Error(
          `The members import failed (Postgres error ${code ?? 'unknown'}) and was rolled back whole.`,
          { cause: error },
        );
      } finally {
        // A connection that cannot be cleaned is closed rather than handed back with a lock or a table.
        let cleaned = true;
        try {
          await client.query('DROP TABLE IF EXISTS pg_temp.member_import');
          if (locked) await client.query('SELECT pg_advisory_unlock($1)', [IMPORT_LOCK_ID]);
        } catch {
          cleaned = false;
        }
        client.release(!cleaned);
      }
    },

    /**
     * The members of the network who can be texted: the audience an action alert reaches.
     */
    async count(): Promise<number> {
      const { rows } = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM supporters s WHERE ${TEXTABLE_MEMBER}`,
      );
      return rows[0]?.n ?? 0;
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
        // And the replies to spooled texts, which went out as outbound texts: sent (and not sent) ones.
        await tx
          .update(outboundMessages)
          .set({ body: null })
          .where(and(eq(outboundMessages.supporterId, supporterId), isNotNull(outboundMessages.inReplyTo)));
        await tx
          .update(supporters)
          .set({
            phoneCiphertext: null,
            phoneIndex: null,
            name: null,
            nameClearedUnder: null,
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
