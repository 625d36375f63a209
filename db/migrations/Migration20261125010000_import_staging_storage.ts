import { Migration } from '@mikro-orm/migrations';

/**
 * Staged import chunks are ciphertext, which does not compress: stored out of line without trying
 * (the default, extended, spends a compression attempt on every ~200 KB chunk).
 */
export class Migration20261125010000_import_staging_storage extends Migration {
  override up(): void {
    this.addSql(`alter table contact_import_chunks alter column payload set storage external;`);
  }

  override down(): void {
    this.addSql(`alter table contact_import_chunks alter column payload set storage extended;`);
  }
}
