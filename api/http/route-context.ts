import type { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import type { AccountActor } from '../../services/actor';
import type { IdempotencyGate } from './idempotency';

/** What a route handler receives: validated input, the caller, and a request-scoped EntityManager. */
export interface RouteContext<P, Q, B, Actor = AccountActor> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  em: EntityManager;
  req: Request;
  res: Response;
  /** A streamed route calls `idempotency.claim(bodyDigest)` once it has read the body. */
  idempotency: IdempotencyGate;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
