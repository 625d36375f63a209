import type { ContactsService } from '../../services/contacts/contacts-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import type { AccountActor } from '../../services/actor';
import type { ReplayRule } from '../http/idempotency';
import { IdParams, pageOf } from '../schemas/common';
import { ContactBody, ContactListQuery, ContactPatchBody, ContactSchema } from '../schemas/contacts';

export function contactRoutes(host: RouteHost, contacts: ContactsService): void {
  // A replay shows the contact as it is now (404 once deleted): its PII is never kept for replay.
  const replay: ReplayRule<AccountActor> = {
    resource: 'contact',
    render: async ({ em, actor }, id, status) => ({ status, body: await contacts.get(em, actor, id) }),
  };
  defineRoute(host, {
    method: 'post',
    path: '/v1/contacts',
    summary: 'Create a contact, or update the one with the same phone number',
    tag: 'Contacts',
    auth: 'write',
    body: ContactBody,
    responses: {
      201: { description: 'Contact created', schema: ContactSchema },
      200: { description: 'Existing contact updated', schema: ContactSchema },
    },
    replay,
    handler: async ({ em, actor, body }) => {
      const { created, contact } = await contacts.upsert(em, actor, body);
      return { status: created ? 201 : 200, body: contact };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/contacts',
    summary: 'List contacts, or look one number up with ?phone=',
    tag: 'Contacts',
    auth: 'read',
    query: ContactListQuery,
    responses: { 200: { description: 'A page of contacts (with phone: that number’s contact, or none)', schema: pageOf(ContactSchema) } },
    handler: async ({ em, actor, query }) => ({
      status: 200,
      body: query.phone === undefined ? await contacts.list(em, actor, query) : await contacts.findByPhone(em, actor, query.phone),
    }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/contacts/:id',
    summary: 'Get a contact',
    tag: 'Contacts',
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The contact', schema: ContactSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await contacts.get(em, actor, params.id) }),
  });

  defineRoute(host, {
    method: 'patch',
    path: '/v1/contacts/:id',
    summary: 'Update a contact',
    tag: 'Contacts',
    auth: 'write',
    params: IdParams,
    body: ContactPatchBody,
    responses: { 200: { description: 'The updated contact', schema: ContactSchema } },
    replay,
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await contacts.update(em, actor, params.id, body) }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/contacts/:id',
    summary: 'Delete a contact (an opt-out of its number stays in force)',
    tag: 'Contacts',
    auth: 'write',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ em, actor, params }) => {
      await contacts.remove(em, actor, params.id);
      return { status: 204 };
    },
  });
}
