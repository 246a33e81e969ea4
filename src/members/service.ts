import type { Database, Db, Tx } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { recordAudit } from '../staff/audit.repository.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { type CheckedRow, stagedRow } from './checked-copy.js';
import { type MembersFile, type Refusal, readMembersCsv } from './csv.js';
import type { MergeCounts } from './imports.repository.js';
import * as imports from './imports.repository.js';
import * as repository from './repository.js';

export const MAX_IMPORT_ROWS = 200_000;
/** A network of 200,000 members is about 11 MB. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** Rows a COPY writes into the staging table. */
const STAGING_CHUNK = 5_000;

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
  pool: Database['pool'];
  clock: () => Date;
  phoneCrypto: PhoneCrypto;
  maxImportRows?: number;
  /** What the rooms above this one keep of a supporter, erased with them: passed in by services.ts. */
  keptElsewhere: KeptElsewhere;
}

/** A supporter's data in the rooms above members (campaigns, sms, broadcasts), for erasure. */
export interface KeptElsewhere {
  /** Hides their valid and held signatures, faxed ones too; each hidden one's batch (null: not faxed). */
  hideSignaturesOf(tx: Tx, supporterId: number): Promise<{ batchId: number | null }[]>;
  clearSignatureNamesOf(tx: Tx, supporterId: number): Promise<void>;
  /** Clears the bodies of their texts and of our replies to them; how many texts. */
  clearTextsOf(tx: Tx, supporterId: number): Promise<number>;
  /** Clears the replies to their spooled texts, which went out as outbound texts. */
  clearRepliesTo(tx: Tx, supporterId: number): Promise<void>;
}

/**
 * The promise itself, marked as handled: work started ahead and awaited later must not be an unhandled
 * rejection (which ends the process) if it fails before it is awaited; awaiting it still throws.
 */
export function handled<T>(work: Promise<T>): Promise<T> {
  work.catch(() => {});
  return work;
}

export const resultOf = (counts: MergeCounts | undefined) => ({
  imported: counts?.imported ?? 0,
  skipped: (counts?.valid ?? 0) - (counts?.imported ?? 0),
  held: counts?.held ?? 0,
});

/** Importing an existing SMS network, and erasing a supporter. `staffId` is who does it. */
export function createMembersService({
  db,
  pool,
  clock,
  phoneCrypto,
  maxImportRows = MAX_IMPORT_ROWS,
  keptElsewhere,
}: MembersDeps) {
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
      const connection = await imports.connectForImport(pool);
      let locked = false;
      try {
        if (!options.dryRun) {
          locked = await imports.tryImportLock(connection);
          if (!locked) throw importRunning();
          // Nor beside an import job, waiting or running.
          if (await imports.importJobActive(connection.db)) throw importRunning();
        }
        await imports.createTemporaryStaging(connection);
        const refused: Refusal[] = [];
        let chunk: CheckedRow[] = [];
        let staging: Promise<void> = Promise.resolve();
        const limits = { now, maxRows: maxImportRows, maxBytes: MAX_IMPORT_BYTES };
        for await (const line of readMembersCsv(source, limits)) {
          if ('refusal' in line) {
            refused.push(line.refusal);
            continue;
          }
          chunk.push(stagedRow(phoneCrypto, line.row, options.dryRun));
          if (chunk.length === STAGING_CHUNK) {
            // Written while the next chunk is read and checked; one COPY at a time on the connection.
            await staging;
            staging = handled(imports.stageTemporaryRows(connection, chunk));
            chunk = [];
          }
        }
        await staging;
        await imports.stageTemporaryRows(connection, chunk);

        if (options.dryRun) {
          const counts = await imports.countTemporaryStaging(connection.db);
          return { ...resultOf(counts), refused, dryRun: true };
        }
        const result = await connection.db.transaction(async (tx) => {
          const moved = resultOf(await imports.mergeTemporaryStaging(tx, now));
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
          await imports.dropTemporaryStaging(connection);
          if (locked) await imports.releaseImportLock(connection);
        } catch {
          cleaned = false;
        }
        imports.releaseImportConnection(connection, !cleaned);
      }
    },

    /**
     * The members of the network who can be texted: the audience an action alert reaches.
     */
    async count(): Promise<number> {
      return repository.countMembers(db);
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
        const supporterId = await repository.supporterIdByPhoneIndexForUpdate(tx, index);
        if (supporterId === undefined) throw notFound('Supporter');

        // Already faxed ones too: a signature without a name never goes on a fax again (a resent part
        // included), and only hidden or late signatures may lack one.
        const hidden = await keptElsewhere.hideSignaturesOf(tx, supporterId);
        const signaturesRemoved = hidden.filter((signature) => signature.batchId === null).length;
        await keptElsewhere.clearSignatureNamesOf(tx, supporterId);
        // Replies thank the supporter by name, so they go with the texts, and with the replies to
        // spooled texts, which went out as outbound texts (sent and not sent).
        const messagesCleared = await keptElsewhere.clearTextsOf(tx, supporterId);
        await keptElsewhere.clearRepliesTo(tx, supporterId);
        await repository.eraseSupporter(tx, supporterId, now);
        await recordAudit(tx, {
          staffId,
          action: 'supporter.erase',
          entityType: 'supporter',
          entityId: supporterId,
          after: { signaturesRemoved, messagesCleared },
        });
        return { erased: true as const, supporterId, signaturesRemoved };
      });
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
