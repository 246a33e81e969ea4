/**
 * A members import's accepted rows as staged for the merge, and as the COPY text that stages them, one
 * line a row: made by the repository and by the threads that check an import job's chunks, so both
 * stage the same text. No I/O of its own, and nothing a thread would not need to load.
 */
import type { PhoneCrypto } from '../supporters/phone.js';
import type { MemberRow } from './csv.js';

/** An accepted row, checked and encrypted (no ciphertext in a dry run), waiting for the merge. */
export interface CheckedRow {
  line: number;
  phoneCiphertext: string | null;
  phoneIndex: string;
  name: string | null;
  held: boolean;
  consentAt: Date;
  consentSource: string;
}

/** An accepted row as staged for the merge: a dry run needs no ciphertext, only the blind index. */
export function stagedRow(phoneCrypto: PhoneCrypto, row: MemberRow, dryRun: boolean): CheckedRow {
  return {
    line: row.line,
    phoneCiphertext: dryRun ? null : phoneCrypto.encrypt(row.phone),
    phoneIndex: phoneCrypto.blindIndex(row.phone),
    name: row.name,
    held: row.held,
    consentAt: row.consentAt,
    consentSource: row.consentSource,
  };
}

/** A field of a COPY text-format row: backslash, tab and line breaks escaped, null as \N. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/**
 * What starts each line: an import job's rows carry its id (member_import_checked's first column), a
 * synchronous import's temporary table has no such column.
 */
export const checkedCopyPrefix = (importId: number | null): string =>
  importId === null ? '' : `${importId}\t`;

/**
 * A checked row's line of COPY text, in the columns line, phone_ciphertext, phone_index, name, held,
 * consent_at, consent_source after `prefix`. A ciphertext and an index never need escaping.
 */
export function checkedCopyLine(prefix: string, row: CheckedRow): string {
  return (
    `${prefix}${row.line}\t${row.phoneCiphertext ?? '\\N'}\t${row.phoneIndex}\t${copyField(row.name)}\t` +
    `${row.held ? 't' : 'f'}\t${row.consentAt.toISOString()}\t${copyField(row.consentSource)}\n`
  );
}

export function checkedCopyText(prefix: string, rows: readonly CheckedRow[]): string {
  let text = '';
  for (const row of rows) text += checkedCopyLine(prefix, row);
  return text;
}
