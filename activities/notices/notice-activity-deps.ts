import type { ServiceDeps } from '../../services/deps';

/** What the notice activities need: the database (ORM and the pool the subprocessor gate reads) and a logger. */
export type NoticeActivityDeps = Pick<ServiceDeps, 'orm' | 'pgPool' | 'logger' | 'config'>;
