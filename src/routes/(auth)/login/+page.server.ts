import { redirect } from '@sveltejs/kit';
import { safeNext } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (locals.user) redirect(303, safeNext(url.searchParams.get('next')));
  const { db, env } = getServices();
  const fresh = (await db.user.count()) === 0;
  return { fresh, allowSignup: env.ALLOW_SIGNUP, next: safeNext(url.searchParams.get('next')) };
};
