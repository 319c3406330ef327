import { fail, redirect } from '@sveltejs/kit';
import { field, viaProcedure } from '$lib/server/form-action';
import { safeNext } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (locals.user) redirect(303, safeNext(url.searchParams.get('next')));
  const { db, env } = getServices();
  const fresh = (await db.user.count()) === 0;
  return { fresh, allowSignup: env.ALLOW_SIGNUP, next: safeNext(url.searchParams.get('next')) };
};

/** The form sent before the page's script ran: the same login, by POST (see form-action.ts). */
export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const email = field(form, 'email');
    const r = await viaProcedure(event, (c) =>
      c.auth.login({
        email,
        password: field(form, 'password'),
        organisation: field(form, 'organisation') || undefined
      })
    );
    if (!r.ok) return fail(r.status, { email, error: r.error });
    redirect(303, safeNext(event.url.searchParams.get('next')));
  }
};
