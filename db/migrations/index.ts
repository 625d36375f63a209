import { Migration20261123000000_foundation } from './Migration20261123000000_foundation';
import { Migration20261124010000_idempotency_sealed } from './Migration20261124010000_idempotency_sealed';
import { Migration20261124020000_auth_hardening } from './Migration20261124020000_auth_hardening';
import { Migration20261124030000_audit_mac_checkpoints } from './Migration20261124030000_audit_mac_checkpoints';
import { Migration20261124040000_keyring } from './Migration20261124040000_keyring';
import { Migration20261124050000_messaging } from './Migration20261124050000_messaging';
import { Migration20261124060100_dispatch } from './Migration20261124060100_dispatch';
import { Migration20261124060100_customer_webhooks } from './Migration20261124060100_customer_webhooks';
import { Migration20261124080000_campaigns } from './Migration20261124080000_campaigns';
import { Migration20261124080100_campaign_recipients } from './Migration20261124080100_campaign_recipients';
import { Migration20261124090000_staff_identity } from './Migration20261124090000_staff_identity';
import { Migration20261125030000_campaign_wait_reason } from './Migration20261125030000_campaign_wait_reason';
import { Migration20261125060000_notices } from './Migration20261125060000_notices';
import { Migration20261125050000_dsr_retention } from './Migration20261125050000_dsr_retention';
import { Migration20261125020000_campaign_counters } from './Migration20261125020000_campaign_counters';
import { Migration20261125010000_import_staging_storage } from './Migration20261125010000_import_staging_storage';
import { Migration20261125040000_account_termination } from './Migration20261125040000_account_termination';
import { Migration20261206020000_numbers_ordering } from './Migration20261206020000_numbers_ordering';

/** Listed explicitly so migrations run the same from ts sources, bundles and tests. */
export const migrations = [
  { name: 'Migration20261123000000_foundation', class: Migration20261123000000_foundation },
  { name: 'Migration20261124010000_idempotency_sealed', class: Migration20261124010000_idempotency_sealed },
  { name: 'Migration20261124020000_auth_hardening', class: Migration20261124020000_auth_hardening },
  { name: 'Migration20261124030000_audit_mac_checkpoints', class: Migration20261124030000_audit_mac_checkpoints },
  { name: 'Migration20261124040000_keyring', class: Migration20261124040000_keyring },
  { name: 'Migration20261124050000_messaging', class: Migration20261124050000_messaging },
  { name: 'Migration20261124060100_dispatch', class: Migration20261124060100_dispatch },
  { name: 'Migration20261124060100_customer_webhooks', class: Migration20261124060100_customer_webhooks },
  { name: 'Migration20261124080000_campaigns', class: Migration20261124080000_campaigns },
  { name: 'Migration20261124080100_campaign_recipients', class: Migration20261124080100_campaign_recipients },
  { name: 'Migration20261124090000_staff_identity', class: Migration20261124090000_staff_identity },
  { name: 'Migration20261125030000_campaign_wait_reason', class: Migration20261125030000_campaign_wait_reason },
  { name: 'Migration20261125060000_notices', class: Migration20261125060000_notices },
  { name: 'Migration20261125050000_dsr_retention', class: Migration20261125050000_dsr_retention },
  { name: 'Migration20261125020000_campaign_counters', class: Migration20261125020000_campaign_counters },
  { name: 'Migration20261125010000_import_staging_storage', class: Migration20261125010000_import_staging_storage },
  { name: 'Migration20261125040000_account_termination', class: Migration20261125040000_account_termination },
  { name: 'Migration20261206020000_numbers_ordering', class: Migration20261206020000_numbers_ordering },
];
