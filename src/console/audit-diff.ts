/** One field of an audit entry that changed: what it was and what it became (absent: undefined). */
export interface FieldChange {
  field: string;
  before?: string;
  after?: string;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What an audit entry changed, field by field: the fields whose value differs between `before` and
 * `after` (nested objects named with dots, `letter.subject`), in the order they first appear. A value
 * that is not an object is one field, `value`.
 */
export function auditDiff(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (!isRecord(before) && !isRecord(after)) {
    if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return [];
    return [
      {
        field: prefix || 'value',
        ...(before === null || before === undefined ? {} : { before: shown(before) }),
        ...(after === null || after === undefined ? {} : { after: shown(after) }),
      },
    ];
  }
  const from = isRecord(before) ? before : {};
  const to = isRecord(after) ? after : {};
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
  return keys.flatMap((key) => {
    const name = prefix ? `${prefix}.${key}` : key;
    const [a, b] = [from[key], to[key]];
    if (isRecord(a) && isRecord(b)) return auditDiff(a, b, name);
    if (JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) return [];
    return [
      {
        field: name,
        ...(a === undefined || a === null ? {} : { before: shown(a) }),
        ...(b === undefined || b === null ? {} : { after: shown(b) }),
      },
    ];
  });
}
