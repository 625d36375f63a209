import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the server by scripts/dev.ts and the test setup; operators filter on them in the UI. */
export const AccountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const CampaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const ProcessKindKey = defineSearchAttributeKey('ProcessKind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [AccountIdKey, CampaignIdKey, ProcessKindKey];
