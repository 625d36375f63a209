import { openJson, sealJson } from '../../lib/crypto/sealed-json';
import type { DataKey, FieldBinding } from '../../lib/crypto/sealed-field';

/** The subject's number, sealed in the request's own row (bound to it), never in Temporal. */
const subjectBinding = (requestId: string): FieldBinding => ({ purpose: 'data_subject_requests.subject_pii', rowId: requestId });
/** Who asked (a staff-logged request), sealed likewise. */
const requesterBinding = (requestId: string): FieldBinding => ({ purpose: 'data_subject_requests.requester_pii', rowId: requestId });

export interface DsrSubject {
  phone: string;
}
export interface DsrRequester {
  email: string;
}

export const sealSubject = (key: DataKey, requestId: string, subject: DsrSubject) => sealJson(key, subjectBinding(requestId), subject);
export const openSubject = (key: DataKey, requestId: string, sealed: Buffer) =>
  openJson<DsrSubject>(key, subjectBinding(requestId), sealed);
export const sealRequester = (key: DataKey, requestId: string, requester: DsrRequester) =>
  sealJson(key, requesterBinding(requestId), requester);
export const openRequester = (key: DataKey, requestId: string, sealed: Buffer) =>
  openJson<DsrRequester>(key, requesterBinding(requestId), sealed);
