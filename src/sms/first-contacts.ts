import type { Database } from '../db/client.js';
import type { SupporterView } from './conversation.js';
import { type InputRow, inputParams, TRY_AS_FIRST_CONTACTS } from './inbound-sql.js';

/** A text bet to be a first contact: its row as decided for an unknown number. */
export interface FirstContactBet {
  row: InputRow;
  /** The campaigns the decision was made on, as Postgres renders them ('' when none seen yet). */
  campaignsText: string;
}

/** The stored answer of a MessageSid already seen. */
export interface StoredAnswer {
  reply: string;
  suppressed: boolean;
}

/** A bet's result: the rows written when it won, else the context to decide again on. */
export interface BetResult {
  /** bigint ids come back as strings; null when the bet was lost. */
  message_id: string | null;
  signature_id: string | null;
  duplicate: StoredAnswer | null;
  supporter: SupporterView | null;
  replies_last_hour: number;
  signed: string[];
  campaigns: string;
}

interface Waiting {
  bet: FirstContactBet;
  resolve: (result: BetResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Statements running at once; texts arriving meanwhile wait and go together in the next one. One
 * makes the largest batches: measured with `npm run bench`, it answered more texts a second than
 * two or three (larger batches cost Postgres less per text than parallel small ones gain).
 */
const MAX_IN_FLIGHT = 1;
const MAX_BATCH = 200;

/**
 * Places first-contact bets in batches. When it is quiet, a text's statement runs at once; in a
 * flood, the texts that arrive while statements run go together in the next one, so a few hundred
 * texts cost one statement and one commit instead of a few hundred of each. A batch that Postgres
 * refuses for its data is run again one text at a time, so one bad text cannot fail the others.
 */
export function createFirstContactWriter(database: Database) {
  let waiting: Waiting[] = [];
  let inFlight = 0;

  /**
   * The oldest waiting text and those that can go with it: bet on the same campaigns, with numbers
   * and MessageSids of their own (a text's second delivery, or a second text from one number, must
   * see the first one written).
   */
  function takeBatch(): Waiting[] {
    const campaignsText = waiting[0]?.bet.campaignsText;
    const phones = new Set<unknown>();
    const sids = new Set<unknown>();
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    for (const entry of waiting) {
      const { row } = entry.bet;
      const fits =
        batch.length < MAX_BATCH &&
        entry.bet.campaignsText === campaignsText &&
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

  async function place(batch: Waiting[]): Promise<void> {
    const [first] = batch;
    if (!first) return;
    const results = await database.query<BetResult & { ord: string }>(
      'inbound_try_first_contacts',
      TRY_AS_FIRST_CONTACTS,
      [...inputParams(batch.map((entry) => entry.bet.row)), first.bet.campaignsText],
    );
    const byOrd = new Map(results.map((result) => [Number(result.ord), result]));
    batch.forEach((entry, n) => {
      const result = byOrd.get(n + 1);
      if (result) entry.resolve(result);
      else entry.reject(new Error('the first-contact statement returned no row for a text'));
    });
  }

  async function run(batch: Waiting[]): Promise<void> {
    inFlight++;
    try {
      await place(batch);
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
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
    bet(bet: FirstContactBet): Promise<BetResult> {
      return new Promise((resolve, reject) => {
        waiting.push({ bet, resolve, reject });
        pump();
      });
    },
  };
}

/** Postgres refused the data (SQLSTATE class 22 or 23) rather than failing to run the statement. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
