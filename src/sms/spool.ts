import { randomBytes } from 'node:crypto';
import { constants, type promises as fsp } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database, Tx } from '../db/client.js';
import { isDatabaseUnreachable } from '../db/unreachable.js';
import type { Metrics } from '../ops/metrics.js';
import { selectOne } from '../ops/repository.js';
import type { RedisClient } from '../queue/connection.js';
import { enqueue } from '../queue/outbox.repository.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import type { InboundAnswer, InboundText } from './inbound.js';
import { countSegments } from './segments.js';

/**
 * The spool of inbound texts that arrived while Postgres could not be reached (RapidPro's courier does
 * the same). A text is appended, after its signature was checked, to a Redis stream when Redis is up
 * (it runs with AOF), else to an fsync'd append-only file of this process under SPOOL_DIR; each entry
 * is sealed with the phone key. When Postgres is back every entry is replayed in arrival order through
 * the normal path (the same MessageSid dedupe, the same conversation) and the reply it would have had
 * is queued as an outbound text, once: the message is unique on the MessageSid it answers, so a text
 * replayed twice, or already stored by the primary URL before Twilio gave up on it, is answered once
 * (with the reply stored the first time).
 *
 * Files: each process appends to files of its own, named `<ms>~<host>~<pid>~<instance>.spool`. A file
 * is replayed by whoever first renames it to `…~replaying~<host>~<pid>~<instance>` (rename is atomic, so
 * replicas sharing a volume never replay it twice): a process claims its own files, and those of a
 * process of its host that is no longer running (killed, restarted). The workers drain the stream,
 * one at a time under a lock, oldest first.
 */

export type SpoolStore = 'redis' | 'file';

/** What a spooled entry holds: the text and when it arrived. */
interface Entry {
  messageSid: string;
  from: string;
  to: string | null;
  body: string;
  optOutType: string | null;
  receivedAt: string;
}

export interface SpoolDeps {
  config: Config;
  database: Database;
  redis: RedisClient;
  phoneCrypto: PhoneCrypto;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  inbound: { handle(text: InboundText): Promise<InboundAnswer> };
  /**
   * Writes the outbound message answering a replayed text, unless one answers it already: its id, else
   * undefined (also when the number has no supporter). The broadcasts room's, which owns outbound
   * messages and stands above this one: passed in by services.ts.
   */
  insertReplyOnce: (tx: Tx, reply: SpooledReply) => Promise<number | undefined>;
}

/** A reply to a replayed text, as the spool asks for it to be written. */
export interface SpooledReply {
  /** The supporter's number as stored: its blind index. */
  phoneIndex: string;
  body: string;
  segments: number;
  /** The MessageSid of the text it answers: one reply per text, however often it is replayed. */
  inReplyTo: string;
}

export type SpoolState = 'idle' | 'in use' | 'unavailable';

/** How long an append to Redis may take before the file is used instead. */
const REDIS_APPEND_TIMEOUT_MS = 1_000;
/** How often a web process looks whether Postgres is back while its files hold texts. */
const FILE_REPLAY_EVERY_MS = 1_000;
/** The stream drainer's lock: long enough for a batch of entries, refreshed between them. */
const DRAIN_LOCK_MS = 30_000;
const DRAIN_BATCH = 100;

const SEP = '~';
const SUFFIX = '.spool';
const REPLAYING = `${SEP}replaying${SEP}`;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}

/** Whether a process of this host with that pid runs (EPERM: it runs, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function createSpoolService(deps: SpoolDeps) {
  const { config, database, redis, phoneCrypto, metrics, logger, clock, inbound, insertReplyOnce } = deps;
  const dir = resolve(config.sms.spoolDir);
  const streamKey = `${config.queuePrefix}:sms-spool`;
  const lockKey = `${streamKey}:lock`;
  const host = hostname().replaceAll(SEP, '-');
  const instance = randomBytes(6).toString('hex');
  const me = [host, String(process.pid), instance].join(SEP);

  /** Entries in files this process appended or claimed and has not replayed yet. */
  let fileDepth = 0;

  // ---- appending -------------------------------------------------------------------------------

  let file: { handle: fsp.FileHandle; path: string } | null = null;
  let pending: Array<{ line: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  let flushing: Promise<void> | null = null;

  async function openFile() {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${Date.now()}${SEP}${me}${SEP}${randomBytes(3).toString('hex')}${SUFFIX}`);
    const handle = await open(path, 'a', 0o600);
    // The new name must survive a crash too.
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return { handle, path };
  }

  /** Writes every line waiting in one write and one fsync (group commit): a flood costs few fsyncs. */
  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        file ??= await openFile();
        await file.handle.write(batch.map((entry) => entry.line).join(''));
        await file.handle.datasync();
        fileDepth += batch.length;
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
  }

  function appendToFile(line: string): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      pending.push({ line, resolve: resolvePromise, reject });
      flushing ??= flush().finally(() => {
        flushing = null;
      });
    });
  }

  /** Closes the file being appended to, so that it can be claimed; the next append opens a new one. */
  async function rotate(): Promise<void> {
    while (flushing) await flushing;
    const current = file;
    file = null;
    await current?.handle.close();
  }

  // ---- replaying -------------------------------------------------------------------------------

  /** Queues the reply a spooled text would have had, once per MessageSid. */
  async function queueReply(entry: Entry, reply: string): Promise<void> {
    const phone = normalisePhone(entry.from);
    if (!phone) return;
    const { segments } = countSegments(reply);
    await database.db.transaction(async (tx) => {
      const messageId = await insertReplyOnce(tx, {
        phoneIndex: phoneCrypto.blindIndex(phone),
        body: reply,
        segments,
        inReplyTo: entry.messageSid,
      });
      if (messageId !== undefined) await enqueue(tx, 'sms-send', 'send', { messageId });
    });
  }

  /**
   * One entry through the normal path, then its reply queued. Throws when Postgres is unreachable
   * (the entry stays spooled); any other failure is logged (without the text) and the entry dropped,
   * as the webhook would have failed it.
   */
  async function replayOne(sealed: string, store: SpoolStore): Promise<void> {
    let entry: Entry;
    try {
      entry = JSON.parse(phoneCrypto.openText(sealed)) as Entry;
    } catch {
      logger.error({ store }, 'a spooled text could not be read (torn write or another key): skipped');
      metrics.smsReplayed.inc({ store, outcome: 'unreadable' });
      return;
    }
    try {
      const { receivedAt, ...text } = entry;
      const answer = await inbound.handle({ ...text, receivedAt: new Date(receivedAt) });
      if (answer.reply !== '') await queueReply(entry, answer.reply);
      metrics.smsReplayed.inc({ store, outcome: answer.reply === '' ? 'unanswered' : 'answered' });
    } catch (error) {
      if (isDatabaseUnreachable(error)) {
        throw error;
      }
      logger.error({ store, reason: (error as Error).message }, 'a spooled text failed: skipped');
      metrics.smsReplayed.inc({ store, outcome: 'failed' });
    }
  }

  /** Parses `<ms>~host~pid~inst~rnd.spool[~replaying~host~pid~inst]`: who owns the file now. */
  function ownerOf(name: string): { host: string; pid: number; instance: string } | null {
    const claimed = name.indexOf(REPLAYING);
    const owner = claimed >= 0 ? name.slice(claimed + REPLAYING.length) : name.slice(0, -SUFFIX.length);
    const parts = owner.split(SEP);
    const [ownerHost, pid, ownerInstance] = claimed >= 0 ? parts : parts.slice(1);
    if (!ownerHost || !pid || !ownerInstance) return null;
    return { host: ownerHost, pid: Number(pid), instance: ownerInstance };
  }

  /** This process's files, and those of a process of this host that no longer runs. */
  function mayClaim(name: string): boolean {
    const owner = ownerOf(name);
    if (!owner || owner.host !== host) return false;
    if (owner.instance === instance) return true;
    // Our own pid with another instance: an earlier run of this process (pid 1 in a container).
    return owner.pid === process.pid || !running(owner.pid);
  }

  let replaying: Promise<number> | null = null;

  /** Entries waiting: in the stream (when Redis answers), and in this process's files. */
  async function depth(): Promise<Record<SpoolStore, number>> {
    const inRedis = redis.status === 'ready' ? await within(redis.xlen(streamKey), 1_000).catch(() => 0) : 0;
    return { redis: inRedis, file: fileDepth };
  }

  async function replayFilesOnce(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    const mine = names.filter(
      (name) => (name.endsWith(SUFFIX) || name.includes(REPLAYING)) && mayClaim(name),
    );
    if (mine.length === 0) return 0;
    // Postgres first: a file is claimed only when it can be replayed.
    await selectOne(database.pool);
    await rotate();
    let replayed = 0;
    // Oldest first: names begin with the time the file was opened.
    const ordered = mine.sort((a, b) => Number(a.split(SEP)[0]) - Number(b.split(SEP)[0]));
    for (const name of ordered) {
      const base = name.includes(REPLAYING) ? name.slice(0, name.indexOf(REPLAYING)) : name;
      const claimed = join(dir, `${base}${REPLAYING}${me}`);
      if (join(dir, name) !== claimed) {
        try {
          await rename(join(dir, name), claimed);
        } catch {
          continue; // another process claimed it first
        }
      }
      const lines = (await readFile(claimed, 'utf8')).split('\n').filter((line) => line !== '');
      for (const line of lines) {
        await replayOne(line, 'file');
        replayed++;
      }
      await unlink(claimed);
      fileDepth = Math.max(0, fileDepth - lines.length);
    }
    if (replayed > 0) logger.info({ replayed }, 'spooled texts replayed from files');
    return replayed;
  }

  /** Replays this process's spool files (and dead neighbours'), if Postgres answers. */
  function replayFiles(): Promise<number> {
    replaying ??= replayFilesOnce()
      .catch((error: unknown) => {
        if (!isDatabaseUnreachable(error)) throw error;
        return 0;
      })
      .finally(() => {
        replaying = null;
      });
    return replaying;
  }

  /** Drains the Redis stream, oldest first, one drainer at a time; returns how many were replayed. */
  async function drainStream(): Promise<number> {
    if (redis.status !== 'ready') return 0;
    if ((await redis.xlen(streamKey)) === 0) return 0;
    const token = randomBytes(8).toString('hex');
    if ((await redis.set(lockKey, token, 'PX', DRAIN_LOCK_MS, 'NX')) !== 'OK') return 0;
    let replayed = 0;
    try {
      await selectOne(database.pool);
      for (;;) {
        const entries = await redis.xrange(streamKey, '-', '+', 'COUNT', DRAIN_BATCH);
        if (entries.length === 0) break;
        for (const [id, fields] of entries) {
          const sealed = fields[fields.indexOf('d') + 1];
          if (sealed !== undefined) await replayOne(sealed, 'redis');
          await redis.xdel(streamKey, id);
          replayed++;
        }
        // Still ours? (A drainer stalled past its lock would otherwise run beside another.)
        if ((await redis.get(lockKey)) !== token) break;
        await redis.pexpire(lockKey, DRAIN_LOCK_MS);
      }
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
    } finally {
      if ((await redis.get(lockKey).catch(() => null)) === token) await redis.del(lockKey).catch(() => 0);
    }
    if (replayed > 0) logger.info({ replayed }, 'spooled texts replayed from Redis');
    return replayed;
  }

  return {
    /**
     * Spools a text: to the Redis stream when Redis answers, else to this process's file (fsync'd
     * before this resolves). Throws only when neither could take it.
     */
    async append(text: InboundText): Promise<SpoolStore> {
      const entry: Entry = {
        messageSid: text.messageSid,
        from: text.from,
        to: text.to,
        body: text.body,
        optOutType: text.optOutType,
        receivedAt: (text.receivedAt ?? clock()).toISOString(),
      };
      const sealed = phoneCrypto.sealText(JSON.stringify(entry));
      if (redis.status === 'ready') {
        try {
          await within(redis.xadd(streamKey, '*', 'd', sealed), REDIS_APPEND_TIMEOUT_MS);
          metrics.smsSpooled.inc({ store: 'redis' });
          return 'redis';
        } catch {
          // Redis went away meanwhile: the file. (If the XADD still lands later, the entry is
          // replayed twice and answered once.)
        }
      }
      await appendToFile(`${sealed}\n`);
      metrics.smsSpooled.inc({ store: 'file' });
      return 'file';
    },

    replayFiles,
    drainStream,

    /** Replays the files at once, then whenever Postgres is found back while texts wait. */
    startReplaying(): { stop(): Promise<void> } {
      let stopped = false;
      const tick = () => {
        if (stopped) return;
        replayFiles()
          .catch((error: Error) => logger.warn({ reason: error.message }, 'spool replay failed'))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, FILE_REPLAY_EVERY_MS).unref();
          });
      };
      let timer: NodeJS.Timeout | undefined;
      tick();
      return {
        async stop() {
          stopped = true;
          clearTimeout(timer);
          await replaying;
          await rotate();
        },
      };
    },

    depth,

    /**
     * For readiness: `in use` while Postgres is down (texts are being spooled) or entries wait,
     * `unavailable` when a text could be spooled nowhere, else `idle`.
     */
    async state(databaseUp: boolean, redisUp: boolean): Promise<SpoolState> {
      let usable = redisUp;
      if (!usable) {
        try {
          await mkdir(dir, { recursive: true });
          await access(dir, constants.W_OK);
          usable = true;
        } catch {
          usable = false;
        }
      }
      if (!usable) return 'unavailable';
      if (!databaseUp) return 'in use';
      const { redis: inRedis, file: inFiles } = await depth();
      return inRedis + inFiles > 0 ? 'in use' : 'idle';
    },
  };
}

export type SpoolService = ReturnType<typeof createSpoolService>;
