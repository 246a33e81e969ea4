import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/client.js';
import { setStaffPassword } from '../../src/staff/passwords.js';
import { createStaffService, type StaffRole } from '../../src/staff/service.js';

let next = 0;
export const PASSWORD = 'correct horse battery staple';

/** A staff member of `role` with a console password. */
export async function consoleStaff(
  database: Database,
  role: StaffRole,
  email = `console-${role}-${process.pid}-${next++}@example.org`,
) {
  await createStaffService({ db: database.db, clock: () => new Date() }).create({ email, role });
  await setStaffPassword(database.db, { email, password: PASSWORD }, null);
  return { email, password: PASSWORD };
}

/** The CSRF token in a page's first form. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error('no CSRF token in the page');
  return match[1];
}

/** A browser-like client over `inject`: it keeps the session cookie and sends forms. */
let nextAddress = 1;

export class ConsoleClient {
  cookie = '';
  constructor(
    readonly app: FastifyInstance,
    /** Each client its own address unless given one, as failed sign-ins are counted per address. */
    readonly remoteAddress = `10.0.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`,
  ) {}

  private keep(response: LightMyRequestResponse) {
    const set = response.headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const pair = line.split(';')[0] ?? '';
      if (pair.startsWith('pp_console=')) this.cookie = pair;
    }
    return response;
  }

  async get(url: string) {
    return this.keep(
      await this.app.inject({
        method: 'GET',
        url,
        remoteAddress: this.remoteAddress,
        headers: { cookie: this.cookie },
      }),
    );
  }

  async post(url: string, form: Record<string, string>) {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        remoteAddress: this.remoteAddress,
        headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }

  /** Posts a form with the CSRF token of the page at `from`. */
  async submit(from: string, url: string, form: Record<string, string>) {
    const page = await this.get(from);
    return this.post(url, { _csrf: csrfOf(page.body), ...form });
  }

  async signIn(email: string, password: string) {
    return this.submit('/console/login', '/console/login', { email, password });
  }
}
