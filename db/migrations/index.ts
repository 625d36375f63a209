import { Migration20261123000000_foundation } from './Migration20261123000000_foundation';
import { Migration20261124040000_keyring } from './Migration20261124040000_keyring';
import { Migration20261124020000_auth_hardening } from './Migration20261124020000_auth_hardening';

/** Listed explicitly so migrations run the same from ts sources, bundles and tests. */
export const migrations = [
  { name: 'Migration20261123000000_foundation', class: Migration20261123000000_foundation },
  { name: 'Migration20261124040000_keyring', class: Migration20261124040000_keyring },
  { name: 'Migration20261124020000_auth_hardening', class: Migration20261124020000_auth_hardening },
];
