import { requireUser } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
  const user = requireUser(locals, url);
  return { user: { email: user.email, displayName: user.displayName, role: user.role } };
};
