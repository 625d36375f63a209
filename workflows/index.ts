export { importContactsWorkflow } from './import-contacts';
