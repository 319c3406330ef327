import { z } from 'zod';
import { editAccount } from '../../../accounts/service.js';
import { serverSchema } from '../../../accounts/tenant-settings.js';
import { accountProcedure } from '../../init.js';
import { accountDeps, actor } from './deps.js';

export const editProcedure = accountProcedure
  .input(
    z.object({
      name: z.string().trim().max(100).optional(),
      displayName: z.string().trim().max(100).nullish(),
      username: z.string().trim().max(320).optional(),
      password: z.string().min(1).max(1024).optional(),
      imap: serverSchema.optional(),
      smtp: serverSchema.optional()
    })
  )
  .mutation(({ ctx, input }) => {
    const { accountId, ...edit } = input;
    return editAccount(accountDeps(ctx), actor(ctx), accountId, edit);
  });
