/** The request body limit adapter-node should enforce (see start-app.js). */
export function bodySizeLimit(env: Record<string, string | undefined>): string;
