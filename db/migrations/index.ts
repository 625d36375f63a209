import { Migration20261123000000_foundation } from './Migration20261123000000_foundation';

/** Listed explicitly so migrations run the same from ts sources, bundles and tests. */
export const migrations = [{ name: 'Migration20261123000000_foundation', class: Migration20261123000000_foundation }];
