import { requireUser } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals, url);
  const { db } = getServices();
  const accounts = await db.mailAccount.findMany({
    where: { tenantId: user.tenantId, userId: user.id },
    select: { id: true, name: true, email: true, syncState: true },
    orderBy: { createdAt: 'asc' }
  });
  return { user: { email: user.email, displayName: user.displayName, role: user.role }, accounts };
};
