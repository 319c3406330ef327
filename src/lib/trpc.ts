import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '$lib/server/trpc/root';

export const trpc = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: '/api/trpc', maxItems: 10 })]
});

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
