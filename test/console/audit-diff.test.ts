import { describe, expect, it } from 'vitest';
import { auditDiff } from '../../src/console/audit-diff.js';

describe('auditDiff', () => {
  it('names only the fields that changed, nested ones with dots', () => {
    expect(
      auditDiff(
        { role: 'viewer', email: 'a@example.org', letter: { subject: 'Old', body: 'Same' } },
        { role: 'admin', email: 'a@example.org', letter: { subject: 'New', body: 'Same' } },
      ),
    ).toEqual([
      { field: 'role', before: 'viewer', after: 'admin' },
      { field: 'letter.subject', before: 'Old', after: 'New' },
    ]);
  });

  it('shows a creation as values that appeared, and a removal as values that went', () => {
    expect(auditDiff(null, { status: 'open', count: 3 })).toEqual([
      { field: 'status', after: 'open' },
      { field: 'count', after: '3' },
    ]);
    expect(auditDiff({ token: 'x' }, null)).toEqual([{ field: 'token', before: 'x' }]);
  });

  it('shows nothing for an entry that changed nothing', () => {
    expect(auditDiff({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
    expect(auditDiff(null, null)).toEqual([]);
  });
});
