import { z } from 'zod';
import { label } from './common';

export const ListBody = z.object({ name: label(200) }).strict();

export const ListSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  size: z.number().int().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const AddMembersBody = z.object({ contactIds: z.array(z.uuid()).min(1).max(1000) }).strict();

export const AddMembersResponse = z.object({ added: z.number().int(), alreadyMembers: z.number().int() });

export const MemberParams = z.object({ id: z.uuid(), contactId: z.uuid() }).strict();
