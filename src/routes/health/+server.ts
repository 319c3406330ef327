import { json } from '@sveltejs/kit';
import { checkHealth } from '$lib/server/health';
import { getServices } from '$lib/server/services';
import pkg from '../../../package.json' with { type: 'json' };
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async () => {
  const { db, redis } = getServices();
  const { status, body } = await checkHealth({ db, redis, version: pkg.version });
  return json(body, { status, headers: { 'cache-control': 'no-store' } });
};
