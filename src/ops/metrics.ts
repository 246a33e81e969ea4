import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per app, so tests that build several apps do not share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pp_' });
  let stuckCounts: (() => Promise<Record<string, number>>) | null = null;
  new Gauge({
    name: 'pp_stuck_items',
    help: 'Work that has stopped moving (lost jobs, texts no job will send, stuck faxes), by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    // Counted at each scrape, so the gauge is never staler than the services' look at the rooms.
    async collect() {
      const counts = (await stuckCounts?.()) ?? {};
      this.reset();
      for (const [kind, n] of Object.entries(counts)) this.set({ kind }, n);
    },
  });
  let spoolDepth: (() => Promise<Record<string, number>>) | null = null;
  new Gauge({
    name: 'pp_sms_spool_depth',
    help: 'Inbound texts spooled while Postgres was unreachable and not replayed yet, by store (redis, file)',
    labelNames: ['store'] as const,
    registers: [registry],
    async collect() {
      const depths = (await spoolDepth?.()) ?? {};
      this.reset();
      for (const [store, n] of Object.entries(depths)) this.set({ store }, n);
    },
  });
  return {
    registry,
    smsSpooled: new Counter({
      name: 'pp_sms_spooled_total',
      help: 'Inbound texts spooled because Postgres could not be reached, by store (redis, file)',
      labelNames: ['store'] as const,
      registers: [registry],
    }),
    smsReplayed: new Counter({
      name: 'pp_sms_replayed_total',
      help: 'Spooled inbound texts replayed, by store and outcome (answered, unanswered, unreadable, failed)',
      labelNames: ['store', 'outcome'] as const,
      registers: [registry],
    }),
    /** Where pp_sms_spool_depth reads its counts. */
    observeSpool(depths: () => Promise<Record<string, number>>) {
      spoolDepth = depths;
    },
    smsInbound: new Counter({
      name: 'pp_sms_inbound_total',
      help: 'Inbound texts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    smsDecidedAhead: new Counter({
      name: 'pp_sms_inbound_decided_ahead_total',
      help: 'Inbound texts decided before their number was read: written by the statement that read it (won, one round trip) or decided again on what it read (lost)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    signatures: new Counter({
      name: 'pp_signatures_total',
      help: 'Signatures recorded, by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    outboxMismatches: new Counter({
      name: 'pp_outbox_job_mismatch_total',
      help: 'Outbox rows whose job id in Redis held another job (given a new id and relayed again)',
      registers: [registry],
    }),
    /** Where pp_stuck_items reads its counts. */
    observeStuck(counts: () => Promise<Record<string, number>>) {
      stuckCounts = counts;
    },
    webhookDuration: new Histogram({
      name: 'pp_sms_webhook_duration_seconds',
      help: 'Time to answer an inbound text webhook',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
