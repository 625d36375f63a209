import type { EntityManager } from '@mikro-orm/postgresql';

declare global {
  namespace Express {
    interface Request {
      /** A fork of the ORM's EntityManager, one per request, forked when first read. */
      em: EntityManager;
    }
  }
}
