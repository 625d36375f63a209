import { Migration20261123000000_foundation } from './Migration20261123000000_foundation';
import { Migration20261124010000_idempotency_sealed } from './Migration20261124010000_idempotency_sealed';

/** Listed explicitly so migrations run the same from ts sources, bundles and tests. */
export const migrations = [
  { name: 'Migration20261123000000_foundation', class: Migration20261123000000_foundation },
  { name: 'Migration20261124010000_idempotency_sealed', class: Migration20261124010000_idempotency_sealed },
];
