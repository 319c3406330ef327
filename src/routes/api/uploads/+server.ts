import { receiveUpload } from '$lib/server/compose/uploads';
import { getServices } from '$lib/server/services';
import type { RequestHandler } from './$types';

/** Uploads one file for the composer: the raw file as the body, streamed into PostgreSQL. */
export const POST: RequestHandler = ({ request, url, locals }) =>
  receiveUpload({ ...getServices(), log: locals.log }, locals.user, request, url);
