import { publicUser } from '../../../auth/service.js';
import { publicProcedure } from '../../init.js';

/** The signed-in user, or null: the one auth procedure that never answers UNAUTHORIZED. */
export const meProcedure = publicProcedure.query(({ ctx }) =>
  ctx.user ? { user: publicUser(ctx.user) } : { user: null }
);
