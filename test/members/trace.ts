import type pg from 'pg';

/** The ways a UK mobile number may be written: +447700900123, 447700900123, 07700900123, 7700900123. */
export function phoneForms(e164: string): string[] {
  return [e164, e164.slice(1), `0${e164.slice(3)}`, e164.slice(3)];
}

/**
 * Looks for each needle in every text, jsonb and array column of every table: where personal data
 * could be left behind. Returns "table.column" for each column holding one.
 */
export async function columnsContaining(pool: pg.Pool, needles: readonly string[]): Promise<string[]> {
  const { rows: columns } = await pool.query<{ table_name: string; column_name: string }>(`
    SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'ARRAY')`);
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await pool.query<{ value: string }>(
      `SELECT "${column_name}"::text AS value FROM "${table_name}" WHERE "${column_name}" IS NOT NULL`,
    );
    const values = rows.map((row) => row.value).join('\n');
    for (const needle of needles) {
      if (values.includes(needle)) found.push(`${table_name}.${column_name}`);
    }
  }
  return found;
}
