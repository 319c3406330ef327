import { listAccounts } from '$lib/server/accounts/service';
import { tenantSettings } from '$lib/server/accounts/tenant-settings';
import { requireUser } from '$lib/server/guards';
import { getServices } from '$lib/server/services';
import { fail } from '@sveltejs/kit';
import { field, viaProcedure } from '$lib/server/form-action';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireUser(locals, url);
  const { db } = getServices();
  const [accounts, settings] = await Promise.all([
    listAccounts(db, { userId: user.id, tenantId: user.tenantId }),
    tenantSettings(db, user.tenantId)
  ]);
  return {
    user: { email: user.email, displayName: user.displayName, role: user.role },
    accounts,
    // with organisation defaults a mailbox is added with just its address and password
    hasMailDefaults: Boolean(settings.defaultImap && settings.defaultSmtp)
  };
};

/** The password form sent before the page's script ran: by POST (see form-action.ts). */
export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const r = await viaProcedure(event, (c) =>
      c.auth.changePassword({
        currentPassword: field(form, 'currentPassword'),
        newPassword: field(form, 'newPassword')
      })
    );
    if (!r.ok) return fail(r.status, { error: r.error });
    return { done: 'Password changed.' };
  }
};
