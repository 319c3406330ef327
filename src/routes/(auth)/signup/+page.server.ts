import { redirect } from '@sveltejs/kit';
import { getServices } from '$lib/server/services';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (locals.user) redirect(303, '/mail');
  const { db, env } = getServices();
  const fresh = (await db.user.count()) === 0;
  const invite = url.searchParams.get('invite');
  return {
    fresh,
    open: fresh || env.ALLOW_SIGNUP || Boolean(invite),
    invite,
    email: url.searchParams.get('email') ?? ''
  };
};
