import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError
} from '@trpc/client';
import type { AppRouter } from '$lib/server/trpc/root';

// Queries and mutations are batched over HTTP; subscriptions (live.events) run over SSE with
// tracked ids. Only one tab holds the SSE connection at a time: see src/lib/state/live.svelte.ts.
export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/api/trpc' }),
      false: httpBatchLink({ url: '/api/trpc', maxItems: 10 })
    })
  ]
});

/** The message of any error from a tRPC call, fit to show in a toast. */
export function messageOf(e: unknown): string {
  if (e instanceof TRPCClientError) return e.message;
  return 'Could not reach the server. Check your connection and try again.';
}

export interface FieldErrors {
  form: string | null;
  fields: Record<string, string>;
}

/** Turns any error from a tRPC call into a message for the form and messages per field. */
export function errorsOf(e: unknown): FieldErrors {
  if (e instanceof TRPCClientError) {
    const data = e.data as
      { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } | undefined;
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(data?.zodError?.fieldErrors ?? {})) if (v?.[0]) fields[k] = v[0];
    return { form: Object.keys(fields).length ? null : e.message, fields };
  }
  return { form: 'Could not reach the server. Check your connection and try again.', fields: {} };
}
