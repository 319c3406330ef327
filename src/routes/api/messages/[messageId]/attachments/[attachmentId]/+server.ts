import { serveAttachment } from '$lib/server/attachments/serve';
import { getServices } from '$lib/server/services';
import type { RequestHandler } from './$types';

/** Streams one attachment; authorised in serveAttachment (session owner or signed URL). */
export const GET: RequestHandler = ({ params, url, locals }) =>
  serveAttachment({ ...getServices(), log: locals.log }, { user: locals.user, url }, params);
