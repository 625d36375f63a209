export { importContactsWorkflow } from './import-contacts';
export { purgeIdempotencyKeysWorkflow } from './purge-idempotency-keys';
export { auditAnchorWorkflow } from './audit-anchor';
export { dispatchWorkflow } from './messaging/dispatch';
export { webhookDeliveriesWorkflow } from './webhooks/webhook-deliveries';
export { campaignWorkflow } from './campaigns/campaign';
export { terminationWorkflow } from './lifecycle/termination';
