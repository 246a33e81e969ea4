/**
 * A check thread of the pool (check-pool.ts): checks and encrypts the chunks it is sent, one at a time,
 * and answers each with its COPY text and refusals, or with the error that stopped it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPhoneCrypto, type PhoneKeys } from '../supporters/phone.js';
import { type CheckedChunk, type ChunkMessage, type ChunkReply, checkChunk } from './check-pool.js';

const port = parentPort;
if (!port) throw new Error('check-thread.ts runs as a worker thread of the check pool');

// A Buffer reaches a thread as a plain Uint8Array.
const keys = (workerData as { phoneKeys: PhoneKeys }).phoneKeys;
const phoneCrypto = createPhoneCrypto({
  encryptionKey: Buffer.from(keys.encryptionKey),
  oldEncryptionKeys: keys.oldEncryptionKeys.map((key) => Buffer.from(key)),
  indexKey: Buffer.from(keys.indexKey),
});

port.on('message', (message: ChunkMessage) => {
  let checked: CheckedChunk;
  try {
    checked = checkChunk(phoneCrypto, message);
  } catch (error) {
    port.postMessage({ id: message.id, error } satisfies ChunkReply);
    return;
  }
  // The COPY text's bytes are moved to the pool's thread, not copied.
  port.postMessage({ id: message.id, ...checked } satisfies ChunkReply, [checked.copy.buffer]);
});
