import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One value of a gauge read from where the work is recorded (Postgres, the queues), with its labels. */
export interface Sample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/**
 * A gauge whose samples are read at each scrape from a source set later (`observe`). A source that
 * cannot be read now (Postgres away) leaves the gauge empty rather than failing the whole scrape: the
 * readiness gauge says why.
 */
function observedGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
) {
  let source: (() => Promise<Sample<L>[]>) | null = null;
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const samples = (await source?.().catch(() => null)) ?? [];
      this.reset();
      for (const { labels, value } of samples) this.set(labels as never, value);
    },
  });
  return (read: () => Promise<Sample<L>[]>) => {
    source = read;
  };
}

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
    /** pp_queue_waiting{queue} and pp_queue_oldest_waiting_seconds{queue}: read by worker processes. */
    observeQueues: observedGauge(
      registry,
      'pp_queue_waiting',
      'Jobs waiting to be taken by a worker, by queue (delayed jobs, such as broadcasts in quiet hours, ' +
        'not counted)',
      ['queue'] as const,
    ),
    observeQueueAges: observedGauge(
      registry,
      'pp_queue_oldest_waiting_seconds',
      'Seconds the oldest waiting job of each queue has waited (0 when none waits)',
      ['queue'] as const,
    ),
    /** 1 when this process reaches Postgres (or Redis), else 0: what /readyz checks. */
    observeReadiness: observedGauge(
      registry,
      'pp_dependency_up',
      'Whether this process reaches its dependency now (1) or not (0): postgres, redis',
      ['dependency'] as const,
    ),
    observeFaxDeliveries: observedGauge(
      registry,
      'pp_fax_deliveries',
      'Fax and e-mail deliveries of parts to targets changed in the last 7 days, by state and channel',
      ['state', 'channel'] as const,
    ),
    observeBroadcasts: observedGauge(
      registry,
      'pp_broadcast_messages',
      'Texts of each broadcast sending now or finished in the last 24 hours, by status',
      ['broadcast', 'status'] as const,
    ),
    observeCampaignDeadlines: observedGauge(
      registry,
      'pp_campaign_closes_in_seconds',
      'Seconds until each open campaign closes (campaigns with a deadline), by campaign id and keyword',
      ['campaign', 'keyword'] as const,
    ),
    observeNamesWaiting: observedGauge(
      registry,
      'pp_campaign_names_waiting_for_fax',
      'Valid signatures of each open campaign that are in no fax batch yet, by campaign id and keyword',
      ['campaign', 'keyword'] as const,
    ),
    smsMaxPerSecond: new Gauge({
      name: 'pp_sms_max_per_second',
      help: 'SMS_MAX_PER_SECOND: the global rate outbound texts are sent at',
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'pp_http_requests_total',
      help: 'Requests answered by the web process, by method, route pattern and status code',
      labelNames: ['method', 'route', 'code'] as const,
      registers: [registry],
    }),
    smsOutbound: new Counter({
      name: 'pp_sms_outbound_total',
      help:
        'Outbound texts handed to Twilio by the workers, by outcome (sent, failed, retrying, ' +
        'opted_out) and Twilio error code (none when it gave none)',
      labelNames: ['outcome', 'code'] as const,
      registers: [registry],
    }),
    smsDeliveryReports: new Counter({
      name: 'pp_sms_delivery_reports_total',
      help:
        "Twilio's delivery reports for texts we sent, by status and Twilio error code " +
        '(none when it gave none)',
      labelNames: ['status', 'code'] as const,
      registers: [registry],
    }),
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
      help:
        'Inbound texts decided before their number was read: ' +
        'written by the statement that read it (won, one round trip) or decided again on what it read (lost)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    signatures: new Counter({
      name: 'pp_signatures_total',
      help: 'Signatures recorded, by campaign (its id) and status',
      labelNames: ['campaign', 'status'] as const,
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
      // Up to Twilio's 15 s timeout, with a bound at the 2 s the alert watches.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15],
      registers: [registry],
    }),
  };
}
