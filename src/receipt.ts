/**
 * Pure wording of delivery receipts, shared by the texts (sms/), broadcasts (`{receipt}`) and the public
 * page: who received a batch, by which channel and when, in the organisation's time zone. No I/O.
 */
import { wallClock } from './time.js';

export type ReceiptChannel = 'fax' | 'email';

/** One authority's receipt of a whole batch (every part received). */
export interface TargetReceipt {
  /** The target's title, else its name, as staff entered it. */
  name: string;
  /** Whether `name` is an office ("Prosecutor General of …"), said with "the"; a person's name is not. */
  office: boolean;
  /** The channel that delivered the last part received. */
  channel: ReceiptChannel;
  /** When the last part was received (the provider's time where it gave one). */
  at: Date;
  /** Only written to the file provider's or mail transport's outbox: a dry run, no machine reached. */
  dryRun: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "12 Dec 10:42" as the clock in timeZone shows `at`. */
export function shortDateTime(at: Date, timeZone: string): string {
  const clock = wallClock(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${clock.day} ${MONTHS[clock.month - 1]} ${two(clock.hour)}:${two(clock.minute)}`;
}

/** "12 Dec 2026, 10:42" as the clock in timeZone shows `at`. */
export function dateTimeWithYear(at: Date, timeZone: string): string {
  const clock = wallClock(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${clock.day} ${MONTHS[clock.month - 1]} ${clock.year}, ${two(clock.hour)}:${two(clock.minute)}`;
}

/** The label of a target: its title when it has one (an office), else its name. */
export function targetLabel(target: { name: string; title: string | null }): {
  name: string;
  office: boolean;
} {
  if (target.title) return { name: target.title, office: true };
  // "Prosecutor General of the Russian Federation" is an office; "Igor Krasnov" is a person.
  return { name: target.name, office: /\s(of|for)\s/i.test(target.name) };
}

export function channelWord(channel: ReceiptChannel): string {
  return channel === 'fax' ? 'fax' : 'e-mail';
}

/** "the Prosecutor General of …" for an office, a person's name as it is. */
export function labelText(label: { name: string; office: boolean }): string {
  return label.office && !/^the\s/i.test(label.name) ? `the ${label.name}` : label.name;
}

/** "the Prosecutor General (fax, 12 Dec 10:42)". */
export function describeTargetReceipt(receipt: TargetReceipt, timeZone: string): string {
  const how = receipt.dryRun ? `${channelWord(receipt.channel)} dry run` : channelWord(receipt.channel);
  return `${labelText(receipt)} (${how}, ${shortDateTime(receipt.at, timeZone)})`;
}

/** "A and B", "A, B and C". */
export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The sentence that `{receipt}` stands for: "the Prosecutor General (fax, 12 Dec 10:42) and the
 * Investigation Committee (e-mail, 12 Dec 11:05)".
 */
export function describeReceipts(receipts: readonly TargetReceipt[], timeZone: string): string {
  return joinAnd(receipts.map((receipt) => describeTargetReceipt(receipt, timeZone)));
}

/** One delivery of a batch as receipts need it. */
export interface DeliveryFact {
  targetId: number;
  targetName: string;
  targetTitle: string | null;
  targetPosition: number;
  part: number;
  parts: number;
  channel: ReceiptChannel;
  status: string;
  /** When it was received: the provider's time where it gave one, else ours. */
  receivedAt: Date | null;
  pages: number;
}

export const RECEIVED_STATUSES: readonly string[] = ['delivered', 'written'];

/** Each target of a batch, in order, with its receipt when every part reached it (by either channel). */
export function targetReceipts(facts: readonly DeliveryFact[]): Array<{
  targetId: number;
  label: { name: string; office: boolean };
  pages: number;
  receipt: TargetReceipt | null;
}> {
  const byTarget = new Map<number, DeliveryFact[]>();
  for (const fact of [...facts].sort(
    (a, b) => a.targetPosition - b.targetPosition || a.targetId - b.targetId,
  )) {
    byTarget.set(fact.targetId, [...(byTarget.get(fact.targetId) ?? []), fact]);
  }
  return [...byTarget.entries()].map(([targetId, deliveries]) => {
    const first = deliveries[0] as DeliveryFact;
    const label = targetLabel({ name: first.targetName, title: first.targetTitle });
    let last: DeliveryFact | null = null;
    let complete = true;
    let dryRun = false;
    let pages = 0;
    for (let part = 1; part <= first.parts; part++) {
      const received = deliveries
        .filter((d) => d.part === part && RECEIVED_STATUSES.includes(d.status) && d.receivedAt !== null)
        .sort((a, b) => (a.receivedAt as Date).getTime() - (b.receivedAt as Date).getTime())[0];
      if (!received) {
        complete = false;
        continue;
      }
      pages += received.pages;
      if (received.status === 'written') dryRun = true;
      if (last === null || (received.receivedAt as Date) > (last.receivedAt as Date)) last = received;
    }
    const receipt =
      complete && last
        ? {
            ...label,
            channel: last.channel,
            at: last.receivedAt as Date,
            dryRun,
          }
        : null;
    return { targetId, label, pages, receipt };
  });
}
