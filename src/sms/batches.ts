import type { Database } from '../db/client.js';
import {
  type InputRow,
  type Numbered,
  type TryResult,
  type TryTextsOptions,
  tryTexts,
  type Written,
  writeTexts,
} from './inbound.repository.js';

/**
 * Statements of one kind running at once; texts arriving meanwhile wait and go together in the next
 * one. One makes the largest batches: measured with both floods of `npm run bench`, it answered more
 * texts a second than two, for either statement (larger batches cost Postgres less per text than
 * parallel small ones gain).
 */
const MAX_IN_FLIGHT = 1;
const MAX_BATCH = 200;

/** A text's rows: one at least, all of one number and MessageSid. */
export type TextRows = [InputRow, ...InputRow[]];

/** Runs a statement for the texts of a batch, each with its rows: a result per text, numbered from 1. */
type Statement<T> = (texts: TextRows[], group: string) => Promise<Numbered<T>[]>;

interface Waiting<T> {
  rows: TextRows;
  /** Only texts of one group go together: the statement takes it as a parameter of its own. */
  group: string;
  resolve: (result: T) => void;
  reject: (error: unknown) => void;
}

/** How a text may share a statement. */
export interface Sharing {
  /** STOP and START run at once in a statement of their own: they never wait in a shared batch. */
  alone?: boolean;
}

/**
 * Runs a statement for texts in batches. When it is quiet, a text's statement runs at once; in a
 * flood, the texts that arrive while a statement runs go together in the next one, so a few hundred
 * texts cost one statement and one commit instead of a few hundred of each. A batch that Postgres
 * refuses for its data, or ends to break a deadlock (another process's batch, or staff, locking the
 * same supporters in another order), is run again one text at a time: one bad text, or two texts
 * locked in turn, cannot fail the others.
 */
function createBatcher<T>(statement: Statement<T>) {
  let waiting: Waiting<T>[] = [];
  let inFlight = 0;

  /**
   * The oldest waiting text and those that can go with it: of the same group, with numbers and
   * MessageSids of their own (a text's second delivery, or a second text from one number, must see
   * the first one written; and a statement updates a supporter once).
   */
  function takeBatch(): Waiting<T>[] {
    const group = waiting[0]?.group;
    const phones = new Set<unknown>();
    const sids = new Set<unknown>();
    const batch: Waiting<T>[] = [];
    const rest: Waiting<T>[] = [];
    for (const entry of waiting) {
      const [row] = entry.rows;
      const fits =
        batch.length < MAX_BATCH &&
        entry.group === group &&
        !phones.has(row.phone_index) &&
        !sids.has(row.message_sid);
      if (fits) {
        batch.push(entry);
        phones.add(row.phone_index);
        sids.add(row.message_sid);
      } else {
        rest.push(entry);
      }
    }
    waiting = rest;
    return batch;
  }

  async function place(batch: Waiting<T>[]): Promise<void> {
    const [first] = batch;
    if (!first) return;
    const results = await statement(
      batch.map((entry) => entry.rows),
      first.group,
    );
    const byText = new Map(results.map((result) => [result.text_no, result]));
    batch.forEach((entry, n) => {
      const result = byText.get(n + 1);
      if (result) entry.resolve(result);
      else entry.reject(new Error('a batched statement returned no row for a text'));
    });
  }

  async function run(batch: Waiting<T>[]): Promise<void> {
    inFlight++;
    try {
      await place(batch);
    } catch (error) {
      if (batch.length > 1 && mayPassAlone(error)) {
        await Promise.all(batch.map((entry) => place([entry]).catch(entry.reject)));
      } else {
        for (const entry of batch) entry.reject(error);
      }
    } finally {
      inFlight--;
      pump();
    }
  }

  function pump(): void {
    while (inFlight < MAX_IN_FLIGHT && waiting.length > 0) void run(takeBatch());
  }

  return {
    run(rows: TextRows, group: string, { alone = false }: Sharing): Promise<T> {
      return new Promise((resolve, reject) => {
        const entry = { rows, group, resolve, reject };
        if (alone) {
          place([entry]).catch(reject);
          return;
        }
        waiting.push(entry);
        pump();
      });
    },
  };
}

/** Postgres refused the data (SQLSTATE class 22 or 23) or ended the batch to break a deadlock (40P01). */
function mayPassAlone(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(2[23]|40P01$)/.test(code);
}

/** A text decided ahead, before its number was read: its rows, as for an unknown number and for a member. */
export interface DecidedAhead extends Sharing {
  rows: TextRows;
  /** The campaigns the decisions were made on, as Postgres renders them ('' when none seen yet). */
  campaignsText: string;
}

/**
 * Writes texts decided ahead when what their statement reads is what the decision assumed, else
 * brings back their context (see TRY_TEXTS), the texts arriving together in one statement.
 */
export function createTryWriter(database: Database, options: Omit<TryTextsOptions, 'campaignsText'>) {
  const batcher = createBatcher<TryResult>((texts, campaignsText) =>
    tryTexts(database, texts, { ...options, campaignsText }),
  );
  return {
    tryWrite: ({ rows, campaignsText, ...sharing }: DecidedAhead) =>
      batcher.run(rows, campaignsText, sharing),
  };
}

/**
 * Writes texts decided on their context (see WRITE_TEXTS), the texts arriving together in one
 * statement: a text whose decision made ahead was not written.
 */
export function createTextWriter(database: Database) {
  const batcher = createBatcher<Written>((texts) => writeTexts(database, texts));
  return {
    write: (row: InputRow, sharing: Sharing = {}) => batcher.run([row], '', sharing),
  };
}
