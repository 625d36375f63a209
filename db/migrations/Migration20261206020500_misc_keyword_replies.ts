import { Migration } from '@mikro-orm/migrations';

/**
 * Keyword replies say which keyword they answer, so the HELP budget per (sender number, recipient)
 * per day can be counted from the outbox itself (issue 21: two platform numbers answering each
 * other's HELP for ever). Nullable, no default: adding it rewrites nothing.
 */
export class Migration20261206020500_misc_keyword_replies extends Migration {
  override up(): void {
    this.addSql(`
      alter table messages add column answers_keyword text check (answers_keyword in ('stop', 'start', 'help'));
      alter table messages add constraint messages_answers_keyword_kind check (answers_keyword is null or kind = 'keyword_reply');
    `);
  }

  override down(): void {
    this.addSql(`
      alter table messages drop constraint if exists messages_answers_keyword_kind;
      alter table messages drop column if exists answers_keyword;
    `);
  }
}
