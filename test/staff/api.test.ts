import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let server: TestApp;
let admin: { id: number; token: string };
let campaigner: { id: number; token: string };
let viewer: { id: number; token: string };

/** Staff management, the audit log and erasure are for admins only; everything else reads as viewer. */
const ADMIN_ONLY = /^\/api\/v1\/(staff|tokens|audit|supporters\/erase)/;

beforeAll(async () => {
  database = await createTestDatabase();
  // Walking the route table without tokens must not trip the failed-token limit.
  server = await startTestApp(database, { env: { API_FAILED_TOKENS_PER_15_MINUTES: '10000' } });
  admin = await staffToken(database, 'admin');
  campaigner = await staffToken(database, 'campaigner');
  viewer = await staffToken(database, 'viewer');
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

/** Every route of the staff API, from the OpenAPI document generated from the route schemas. */
function apiRoutes(): Array<{ method: string; url: string }> {
  const spec = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => ({
        method: method.toUpperCase(),
        url: path.replaceAll(/\{[^}]+\}/g, '1'),
      })),
    );
}

describe('the route table', () => {
  it('serves the OpenAPI document and its UI at /docs', async () => {
    expect(apiRoutes().length).toBeGreaterThan(5);
    const ui = await server.app.inject('/docs');
    expect([200, 302]).toContain(ui.statusCode);
    const json = await server.app.inject('/docs/json');
    expect(json.statusCode).toBe(200);
    expect(json.json().paths['/api/v1/me']).toBeDefined();
    // The console's internal routes, the webhooks and the operators' routes are not the API.
    expect(Object.keys(json.json().paths).filter((path) => !path.startsWith('/api/v1/'))).toEqual([]);
  });

  it('refuses every /api/v1 route without a token (401) and with an unknown token (401)', async () => {
    for (const route of apiRoutes()) {
      const anonymous = await server.app.inject({ method: route.method as 'GET', url: route.url });
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(anonymous.json().error.code).toBe('unauthenticated');
    }
  });

  it('refuses every write to a viewer and every admin route to a campaigner (403)', async () => {
    const routes = apiRoutes();
    expect(routes.some((r) => r.method !== 'GET')).toBe(true);
    for (const route of routes) {
      const asViewer = await apiAs(
        server.app,
        viewer.token,
      )({ method: route.method as 'GET', url: route.url });
      if (route.method !== 'GET' || ADMIN_ONLY.test(route.url)) {
        expect(asViewer.statusCode, `viewer ${route.method} ${route.url}`).toBe(403);
        expect(asViewer.json().error.code).toBe('forbidden');
      } else {
        expect(asViewer.statusCode, `viewer ${route.method} ${route.url}`).not.toBe(403);
      }
      if (ADMIN_ONLY.test(route.url)) {
        const asCampaigner = await apiAs(
          server.app,
          campaigner.token,
        )({ method: route.method as 'GET', url: route.url });
        expect(asCampaigner.statusCode, `campaigner ${route.method} ${route.url}`).toBe(403);
      }
    }
  });
});

describe('staff and tokens', () => {
  it('lets an admin create staff, issue a token shown once, and revoke it', async () => {
    const api = apiAs(server.app, admin.token);
    const created = await api({
      method: 'POST',
      url: '/api/v1/staff',
      payload: { email: 'new@example.org', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const { staff, token } = created.json();
    expect(staff).toMatchObject({ email: 'new@example.org', role: 'viewer' });
    expect(typeof staff.id).toBe('string');

    const me = await apiAs(server.app, token)({ method: 'GET', url: '/api/v1/me' });
    expect(me.json()).toMatchObject({ email: 'new@example.org', role: 'viewer' });

    const tokens = await api({ method: 'GET', url: `/api/v1/staff/${staff.id}/tokens` });
    const [first] = tokens.json().items;
    expect(JSON.stringify(tokens.json())).not.toContain(token);
    expect((await api({ method: 'POST', url: `/api/v1/tokens/${first.id}/revoke` })).statusCode).toBe(200);
    const revoked = await apiAs(server.app, token)({ method: 'GET', url: '/api/v1/me' });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.message).toMatch(/unknown or revoked/);
  });

  it('explains validation failures clearly', async () => {
    const api = apiAs(server.app, admin.token);
    const bad = await api({
      method: 'POST',
      url: '/api/v1/staff',
      payload: { email: 'x@example.org', role: 'boss' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    expect(bad.json().error.message).toMatch(/role/);
    const dup = await api({
      method: 'POST',
      url: '/api/v1/staff',
      payload: { email: 'NEW@example.org', role: 'viewer' },
    });
    expect(dup.statusCode).toBe(409);
  });

  it('stops an admin from demoting themselves, and disables others', async () => {
    const api = apiAs(server.app, admin.token);
    const self = await api({
      method: 'PATCH',
      url: `/api/v1/staff/${admin.id}`,
      payload: { role: 'viewer' },
    });
    expect(self.statusCode).toBe(409);
    const other = await staffToken(database, 'campaigner');
    await api({ method: 'PATCH', url: `/api/v1/staff/${other.id}`, payload: { disabled: true } });
    expect((await apiAs(server.app, other.token)({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('records every staff write in the audit log, readable by admins, newest first', async () => {
    const api = apiAs(server.app, admin.token);
    const page = await api({ method: 'GET', url: '/api/v1/audit?limit=2' });
    expect(page.statusCode).toBe(200);
    const { items, nextCursor } = page.json();
    expect(items).toHaveLength(2);
    expect(nextCursor).toEqual(expect.any(String));
    const actions = new Set<string>();
    let cursor: string | null = null;
    do {
      const next = await api({
        method: 'GET',
        url: `/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      for (const entry of next.json().items) actions.add(entry.action);
      cursor = next.json().nextCursor;
    } while (cursor);
    expect(actions).toEqual(new Set(['staff.create', 'token.revoke', 'staff.update']));
    const update = items.find((entry: { action: string }) => entry.action === 'staff.update');
    expect(update).toMatchObject({ staffId: String(admin.id), before: { disabledAt: null } });
  });
});

describe('rate limits', () => {
  it('answers 429 past the per-token request rate', async () => {
    const limited = await startTestApp(database, { env: { API_REQUESTS_PER_MINUTE: '5' } });
    const api = apiAs(limited.app, viewer.token);
    const codes = [];
    for (let i = 0; i < 7; i++) codes.push((await api({ method: 'GET', url: '/api/v1/me' })).statusCode);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.at(-1)).toBe(429);
    await limited.close();
  });

  it('refuses an address that keeps sending wrong tokens, even with a right one', async () => {
    const limited = await startTestApp(database, { env: { API_FAILED_TOKENS_PER_15_MINUTES: '3' } });
    const codes = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await apiAs(limited.app, `pp_guess${i}`)({ method: 'GET', url: '/api/v1/me' })).statusCode);
    }
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.at(-1)).toBe(429);
    const right = await apiAs(limited.app, viewer.token)({ method: 'GET', url: '/api/v1/me' });
    expect(right.statusCode).toBe(429);
    await limited.close();
  });

  it('sends security headers on API responses', async () => {
    const response = await apiAs(server.app, viewer.token)({ method: 'GET', url: '/api/v1/me' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    // HSTS only where PUBLIC_BASE_URL is https (test/console/desk.test.ts); this app's is http://localhost.
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });
});
