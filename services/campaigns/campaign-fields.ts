import { openField, sealField, type DataKey, type FieldBinding } from '../../lib/crypto/sealed-field';

/** campaigns.template is bound to its campaign: it opens in no other row. */
const templateBinding = (campaignId: string): FieldBinding => ({ purpose: 'campaigns.template', rowId: campaignId });

export const sealTemplate = (dataKey: DataKey, campaignId: string, text: string): Buffer =>
  sealField(dataKey, templateBinding(campaignId), Buffer.from(text, 'utf8'));

export const openTemplate = (dataKey: DataKey, campaignId: string, sealed: Buffer): string =>
  openField(dataKey, templateBinding(campaignId), sealed).toString('utf8');
