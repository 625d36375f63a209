import { z } from 'zod';
import { COMPANY_NAME_MAX, HELP_TEXT_MAX } from '../../services/messaging/messaging-settings';
import { opensWithKeyword } from '../../services/messaging/keywords';
import { label } from './common';

export const MessagingSettingsBody = z
  .object({
    companyName: label(COMPANY_NAME_MAX).nullable().describe('Signs keyword replies; null = the account name'),
    helpText: label(HELP_TEXT_MAX)
      .refine((text) => !opensWithKeyword(text), 'must not be or begin with a keyword (STOP, START, HELP, …): it could start a reply loop')
      .nullable()
      .describe('The answer to HELP / INFO; null = a default built from the company name. Must not be or begin with a keyword.'),
  })
  .strict();

export const MessagingSettingsSchema = z.object({
  companyName: z.string().nullable(),
  helpText: z.string().nullable(),
  effectiveCompanyName: z.string(),
  effectiveHelpText: z.string(),
  updatedAt: z.string().nullable(),
});
