import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createContext } from '$lib/server/trpc/context';
import { appRouter } from '$lib/server/trpc/root';
import { getServices } from '$lib/server/services';
import type { RequestHandler } from './$types';

const handler: RequestHandler = (event) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req: event.request,
    router: appRouter,
    createContext: () => createContext(getServices(), event),
    responseMeta({ errors }) {
      const retry = errors
        .map((e) => (e as { retryAfterSeconds?: number }).retryAfterSeconds)
        .find((s) => typeof s === 'number');
      return retry ? { headers: new Headers({ 'retry-after': String(retry) }) } : {};
    }
  });

export const GET = handler;
export const POST = handler;
