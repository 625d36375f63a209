import type { ListsService } from '../../services/lists';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { ContactSchema } from '../schemas/contacts';
import { AddMembersBody, AddMembersResponse, ListBody, ListSchema, MemberParams } from '../schemas/lists';

export function listRoutes(host: RouteHost, lists: ListsService): void {
  const tag = 'Lists';
  defineRoute(host, {
    method: 'post',
    path: '/v1/lists',
    summary: 'Create a list',
    tag,
    auth: 'write',
    body: ListBody,
    responses: { 201: { description: 'List created', schema: ListSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await lists.create(em, actor, body.name) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/lists',
    summary: 'List lists',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of lists', schema: pageOf(ListSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await lists.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/lists/:id',
    summary: 'Get a list with its size',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The list', schema: ListSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await lists.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'patch',
    path: '/v1/lists/:id',
    summary: 'Rename a list',
    tag,
    auth: 'write',
    params: IdParams,
    body: ListBody,
    responses: { 200: { description: 'The list', schema: ListSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await lists.rename(em, actor, params.id, body.name) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/lists/:id',
    summary: 'Delete a list (its contacts stay)',
    tag,
    auth: 'write',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ em, actor, params }) => {
      await lists.remove(em, actor, params.id);
      return { status: 204 };
    },
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/lists/:id/contacts',
    summary: 'Add contacts to a list',
    tag,
    auth: 'write',
    params: IdParams,
    body: AddMembersBody,
    responses: { 200: { description: 'How many were added', schema: AddMembersResponse } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await lists.addContacts(em, actor, params.id, body.contactIds) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/lists/:id/contacts',
    summary: 'List the contacts of a list',
    tag,
    auth: 'read',
    params: IdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page of contacts', schema: pageOf(ContactSchema) } },
    handler: async ({ em, actor, params, query }) => ({ status: 200, body: await lists.members(em, actor, params.id, query) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/lists/:id/contacts/:contactId',
    summary: 'Remove a contact from a list',
    tag,
    auth: 'write',
    params: MemberParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ em, actor, params }) => {
      await lists.removeContact(em, actor, params.id, params.contactId);
      return { status: 204 };
    },
  });
}
