import { Migration20261123000000_foundation } from './Migration20261123000000_foundation';
import { Migration20261124030000_audit_mac_checkpoints } from './Migration20261124030000_audit_mac_checkpoints';

/** Listed explicitly so migrations run the same from ts sources, bundles and tests. */
export const migrations = [
  { name: 'Migration20261123000000_foundation', class: Migration20261123000000_foundation },
  { name: 'Migration20261124030000_audit_mac_checkpoints', class: Migration20261124030000_audit_mac_checkpoints },
];
