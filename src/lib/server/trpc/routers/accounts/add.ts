import { z } from 'zod';
import { addAccount } from '../../../accounts/service.js';
import { serverSchema } from '../../../accounts/tenant-settings.js';
import { emailSchema } from '../../../auth/service.js';
import { authedProcedure } from '../../init.js';
import { accountDeps, actor } from './deps.js';

export const accountInput = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter the mailbox password.').max(1024),
  name: z.string().trim().max(100).optional(),
  displayName: z.string().trim().max(100).optional(),
  username: z.string().trim().max(320).optional(),
  imap: serverSchema.optional(),
  smtp: serverSchema.optional()
});

/** Adds a mailbox after logging in to its IMAP and SMTP servers once. */
export const addProcedure = authedProcedure
  .input(accountInput)
  .mutation(({ ctx, input }) => addAccount(accountDeps(ctx), actor(ctx), input));
