import { describe, expect, it } from 'vitest';
import { letterheadWarning, missingLetterhead } from '../../src/fax/letterhead.js';

const whole = {
  address: '1 Easton Street\nLondon WC1X 0DW',
  email: 'sct@example.org',
  phone: '+44 20 7033 1500',
};

describe('the letterhead check', () => {
  it('names every setting left unset, blank ones included', () => {
    expect(missingLetterhead({ address: null, email: null, phone: null })).toEqual([
      'ORG_ADDRESS',
      'ORG_EMAIL',
      'ORG_PHONE',
    ]);
    expect(missingLetterhead({ ...whole, email: '  ' })).toEqual(['ORG_EMAIL']);
    expect(missingLetterhead(whole)).toEqual([]);
  });

  it('warns in words naming the missing settings, and says nothing when the letterhead is whole', () => {
    expect(letterheadWarning({ address: null, email: null, phone: null }, 'Amnesty International UK')).toBe(
      'the letterhead is incomplete: ORG_ADDRESS, ORG_EMAIL and ORG_PHONE are not set, so the letter page ' +
        'names Amnesty International UK without any way to reply; set them in .env or the environment',
    );
    expect(letterheadWarning({ ...whole, phone: null }, 'Amnesty International UK')).toMatch(
      /^the letterhead is incomplete: ORG_PHONE is not set, /,
    );
    expect(letterheadWarning(whole, 'Amnesty International UK')).toBeNull();
  });
});
