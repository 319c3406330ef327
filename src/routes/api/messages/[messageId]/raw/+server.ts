import { serveRaw } from '$lib/server/attachments/serve';
import { getServices } from '$lib/server/services';
import type { RequestHandler } from './$types';

/** The whole message as an .eml download, or as plain text with ?view=1; owner only. */
export const GET: RequestHandler = ({ params, url, locals }) =>
  serveRaw({ ...getServices(), log: locals.log }, { user: locals.user, url }, params);
