import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Database } from '../../src/db/client.js';
import { createStaffService, type StaffRole } from '../../src/staff/service.js';

let nextStaff = 0;

/** A staff member of `role` and their API token. */
export async function staffToken(
  database: Database,
  role: StaffRole,
): Promise<{ id: number; token: string }> {
  const { staff, token } = await createStaffService({ db: database.db, clock: () => new Date() }).create({
    email: `${role}-${process.pid}-${nextStaff++}@example.org`,
    role,
  });
  return { id: staff.id, token };
}

/** `app.inject` with a bearer token. */
export function apiAs(app: FastifyInstance, token: string) {
  return (options: InjectOptions & { method: NonNullable<InjectOptions['method']>; url: string }) =>
    app.inject({ ...options, headers: { ...options.headers, authorization: `Bearer ${token}` } });
}
