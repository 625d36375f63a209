import { createEmailSender } from '../../providers/email/registry';
import { NoticeSender } from '../../services/notices/notice-sender';
import { createBreachActivities } from './breach-activities';
import { createPolicyActivities } from './policy-activities';
import { createSubprocessorActivities } from './subprocessor-activities';
import type { NoticeActivityDeps } from './notice-activity-deps';

/** Every activity of the notice processes (breach, subprocessor, policy), built with injected deps. */
export function createNoticeActivities(deps: NoticeActivityDeps, email = createEmailSender(deps.config)) {
  const sender = new NoticeSender({ orm: deps.orm, pgPool: deps.pgPool, email, logger: deps.logger });
  return {
    ...createBreachActivities(deps, sender),
    ...createSubprocessorActivities(deps, sender),
    ...createPolicyActivities(deps, sender),
  };
}

export type NoticeActivities = ReturnType<typeof createNoticeActivities>;
