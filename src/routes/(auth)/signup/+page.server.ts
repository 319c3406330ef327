import { fail, redirect } from '@sveltejs/kit';
import { field, viaProcedure } from '$lib/server/form-action';
import { getServices } from '$lib/server/services';
import type { Actions, PageServerLoad } from './$types';

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

/** The form sent before the page's script ran: the same sign-up, by POST (see form-action.ts). */
export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const email = field(form, 'email');
    const displayName = field(form, 'displayName');
    const r = await viaProcedure(event, (c) =>
      c.auth.signup({
        email,
        password: field(form, 'password'),
        displayName: displayName || undefined,
        inviteToken: event.url.searchParams.get('invite') ?? undefined
      })
    );
    if (!r.ok) return fail(r.status, { email, displayName, error: r.error });
    redirect(303, '/mail');
  }
};
