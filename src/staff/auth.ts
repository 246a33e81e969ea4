import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import { AppError, errorBody } from '../errors.js';
import { digest, type Limits } from './limits.js';
import { markApiTokenUsed, principalByTokenHash } from './repository.js';
import type { StaffRole } from './service.js';
import { hashApiToken } from './tokens.js';

export interface StaffPrincipal {
  id: number;
  email: string;
  role: StaffRole;
  tokenId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffPrincipal | null;
  }
}

/** Each role may do what the roles after it may do. */
const RANK: Record<StaffRole, number> = { admin: 3, campaigner: 2, viewer: 1 };

/**
 * An onRequest hook (so it runs before validation) refusing staff below `role` (viewers read, campaigners run
 * actions, admins manage staff).
 */
export function requireRole(role: StaffRole) {
  return async (request: FastifyRequest) => {
    const principal = request.staff;
    if (!principal) throw new AppError(401, 'unauthenticated', 'Send Authorization: Bearer <token>.');
    if (RANK[principal.role] < RANK[role]) {
      throw new AppError(403, 'forbidden', `This needs the ${role} role; you are ${principal.role}.`);
    }
  };
}

/** The principal of a request that passed `requireRole`. */
export function staffOf(request: FastifyRequest): StaffPrincipal {
  if (!request.staff) throw new AppError(401, 'unauthenticated', 'Send Authorization: Bearer <token>.');
  return request.staff;
}

export interface AuthOptions {
  db: Db;
  clock: () => Date;
  /** Where the counts are kept: shared by every web process. */
  limits: Limits;
  /** Requests per minute for one token (or address, without one). */
  requestsPerMinute?: number;
  /** Failed tokens from one address before each further try must wait. */
  failuresPerWindow?: number;
}

const FIFTEEN_MINUTES = 15 * 60_000;

/**
 * Bearer-token authentication for the staff API, with a rate limit on requests and a stricter one on
 * failed tokens (guessing), both counted across processes. Registered inside the API's scope only.
 */
export const staffAuth = fp(async (app: FastifyInstance, options: AuthOptions) => {
  const { db, clock, limits } = options;
  await app.register(rateLimit, {
    max: options.requestsPerMinute ?? 600,
    timeWindow: '1 minute',
    store: limits.pluginStore('api-requests'),
    // The token itself never becomes a Redis key.
    keyGenerator: (request) => {
      const authorization = request.headers.authorization;
      return authorization ? `token:${digest(authorization)}` : `address:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody('rate_limited', `Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s.`),
    }),
  });
  const failures = limits.failures('api-token-failures', {
    free: options.failuresPerWindow ?? 20,
    windowMs: FIFTEEN_MINUTES,
    maxWaitMs: FIFTEEN_MINUTES,
  });

  app.decorateRequest('staff', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const wait = await failures.waitFor(request.ip);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      return reply
        .status(429)
        .header('retry-after', seconds)
        .send(errorBody('too_many_failures', `Too many failed tokens; try again in ${seconds} s.`));
    }

    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const principal = match?.[1] ? await findPrincipal(match[1]) : null;
    if (principal) {
      request.staff = principal;
      return;
    }
    await failures.recordFailure(request.ip);
    const message = match ? 'That API token is unknown or revoked.' : 'Send Authorization: Bearer <token>.';
    return reply.status(401).send(errorBody('unauthenticated', message));
  });

  async function findPrincipal(token: string): Promise<StaffPrincipal | null> {
    const row = await principalByTokenHash(db, hashApiToken(token));
    if (!row) return null;
    await markApiTokenUsed(db, row.tokenId, clock());
    return row;
  }
});
