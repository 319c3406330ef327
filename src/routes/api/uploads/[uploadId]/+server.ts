import { deleteUploadRequest, serveUpload } from '$lib/server/compose/uploads';
import { getServices } from '$lib/server/services';
import type { RequestHandler } from './$types';

/** The uploaded file (the composer shows its inline images from here); its owner only. */
export const GET: RequestHandler = ({ params, locals }) =>
  serveUpload(getServices(), locals.user, params.uploadId);

/** Drops an upload (a file removed from the composer); another user's: 404. */
export const DELETE: RequestHandler = ({ params, locals }) =>
  deleteUploadRequest(getServices(), locals.user, params.uploadId);
