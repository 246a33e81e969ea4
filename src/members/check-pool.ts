/**
 * An import job's chunks checked and encrypted in worker threads (check-thread.ts), off the thread that
 * reads and writes Postgres: at a million rows the checks are the import's longest part. A pool lives
 * for one run of an import, which closes it, so no thread outlives the import.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createPhoneCrypto, type PhoneCrypto, type PhoneKeys } from '../supporters/phone.js';
import { checkedCopyLine, checkedCopyPrefix, stagedRow } from './checked-copy.js';
import { checkMemberRecord, type Refusal } from './csv.js';
import type { UploadedRow } from './imports.repository.js';

export interface ChunkToCheck {
  importId: number;
  rows: UploadedRow[];
  /** When the file came (epoch ms): a consent date after it is refused. */
  received: number;
  dryRun: boolean;
  /** Refusals to keep, the first in the file's order; the rest are only counted. */
  keepRefused: number;
}

export interface CheckedChunk {
  /**
   * The accepted rows as COPY text for member_import_checked in UTF-8, each line starting with the
   * import's id. Bytes, not a string: a thread hands them over without a copy, and they go to
   * Postgres as they are, so the thread that writes them neither copies nor encodes a megabyte a chunk.
   */
  copy: Uint8Array<ArrayBuffer>;
  accepted: number;
  refused: Refusal[];
  refusedCount: number;
}

/** A chunk as a thread gets it, and what it answers: the chunk checked, or why it could not be. */
export type ChunkMessage = ChunkToCheck & { id: number };
export type ChunkReply = (CheckedChunk & { id: number }) | { id: number; error: unknown };

const utf8 = new TextEncoder();
/**
 * Room for a row's line of COPY text at first: a line with a name of 20 or so letters is about 210
 * bytes, 136 of them the number's ciphertext and blind index; longer names and sources make room.
 */
const BYTES_PER_ROW = 256;

/** Checks a chunk's rows on the calling thread: the threads' work, and a pool of no threads'. */
export function checkChunk(phoneCrypto: PhoneCrypto, chunk: ChunkToCheck): CheckedChunk {
  const received = new Date(chunk.received);
  const prefix = checkedCopyPrefix(chunk.importId);
  const refused: Refusal[] = [];
  let refusedCount = 0;
  let accepted = 0;
  // Each line is written into the chunk's bytes as it is made: a string built of 5,000 lines would stay
  // alive, and be copied by every collection of the young generation, until the chunk's end.
  let copy = new Uint8Array(chunk.rows.length * BYTES_PER_ROW);
  let length = 0;
  for (const record of chunk.rows) {
    const line = checkMemberRecord(record, received);
    if ('refusal' in line) {
      refusedCount += 1;
      if (refused.length < chunk.keepRefused) refused.push(line.refusal);
      continue;
    }
    accepted += 1;
    const text = checkedCopyLine(prefix, stagedRow(phoneCrypto, line.row, chunk.dryRun));
    // At most 3 bytes of UTF-8 for each UTF-16 code unit.
    if (copy.length - length < text.length * 3) {
      const larger = new Uint8Array(Math.max(copy.length * 2, length + text.length * 3));
      larger.set(copy.subarray(0, length));
      copy = larger;
    }
    length += utf8.encodeInto(text, copy.subarray(length)).written;
  }
  return { copy: copy.subarray(0, length), accepted, refused, refusedCount };
}

/** The product runs on 2-core machines: one thread for each core, and never more than the cores. */
export const DEFAULT_CHECK_THREADS = Math.min(2, availableParallelism());

export interface CheckPoolOptions {
  phoneKeys: PhoneKeys;
  /** Threads that check at once; 0 checks on the calling thread. */
  threads?: number;
  /** Given each thread as it starts (a test stops one through it). */
  onThread?: (thread: Worker) => void;
}

export interface CheckPool {
  /** The chunk checked by the next idle thread; rejected if its thread fails or dies, or the pool closes. */
  check(chunk: ChunkToCheck): Promise<CheckedChunk>;
  /** Stops every thread; chunks not yet checked are rejected. */
  close(): Promise<void>;
}

/**
 * The thread's module beside this one: JavaScript once built (dist/, or a test's bundle, which builds
 * the thread beside itself), TypeScript under vitest or tsx. A TypeScript thread is loaded through tsx's
 * tsImport: on Node 20, hooks that `--import tsx` registers in a thread do not load its entry module.
 */
function threadScript(): { source: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts'))
    return { source: new URL('./check-thread.js', import.meta.url), eval: false };
  const thread = JSON.stringify(new URL('./check-thread.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return { source: `import(${tsx}).then(({ tsImport }) => tsImport(${thread}, ${thread}))`, eval: true };
}

const poolClosed = () => new Error('the check pool was closed');

interface Waiting {
  message: ChunkMessage;
  resolve: (checked: CheckedChunk) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  /** The chunk it checks; one at a time, so a thread that dies takes one chunk with it. */
  chunk: Waiting | null;
}

export function createCheckPool({
  phoneKeys,
  threads = DEFAULT_CHECK_THREADS,
  onThread,
}: CheckPoolOptions): CheckPool {
  if (threads === 0) return checkingHere(phoneKeys);
  const script = threadScript();
  const waiting: Waiting[] = [];
  const running = new Set<Thread>();
  let lastId = 0;
  let closed = false;

  function start(): Thread {
    const worker = new Worker(script.source, { eval: script.eval, workerData: { phoneKeys } });
    const thread: Thread = { worker, chunk: null };
    running.add(thread);
    let failure: unknown = null;
    worker.on('message', ({ id, ...reply }: ChunkReply) => {
      const { chunk } = thread;
      if (chunk?.message.id !== id) return;
      thread.chunk = null;
      if ('error' in reply) chunk.reject(reply.error);
      else chunk.resolve(reply);
      dispatch();
    });
    // An exception outside a chunk's check (the thread's start) ends it: its chunk fails with it.
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('messageerror', (error) => {
      failure = error;
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      running.delete(thread);
      thread.chunk?.reject(
        closed ? poolClosed() : (failure ?? new Error(`a check thread stopped (exit code ${code})`)),
      );
      thread.chunk = null;
      // Replaced by a new thread if chunks wait.
      dispatch();
    });
    onThread?.(worker);
    return thread;
  }

  function dispatch(): void {
    while (!closed && waiting.length > 0) {
      const idle = [...running].find(({ chunk }) => chunk === null);
      if (!idle && running.size >= threads) return;
      const thread = idle ?? start();
      const next = waiting.shift() as Waiting;
      thread.chunk = next;
      thread.worker.postMessage(next.message);
    }
  }

  return {
    check(chunk) {
      if (closed) return Promise.reject(poolClosed());
      return new Promise((resolve, reject) => {
        lastId += 1;
        waiting.push({ message: { ...chunk, id: lastId }, resolve, reject });
        dispatch();
      });
    },

    async close() {
      closed = true;
      for (const chunk of waiting.splice(0)) chunk.reject(poolClosed());
      await Promise.all([...running].map(({ worker }) => worker.terminate()));
    },
  };
}

/** A pool of no threads: each chunk checked at once, on the calling thread. */
function checkingHere(phoneKeys: PhoneKeys): CheckPool {
  const phoneCrypto = createPhoneCrypto(phoneKeys);
  let closed = false;
  return {
    check(chunk) {
      if (closed) return Promise.reject(poolClosed());
      return new Promise((resolve) => resolve(checkChunk(phoneCrypto, chunk)));
    },
    async close() {
      closed = true;
    },
  };
}
