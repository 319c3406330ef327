/** The request body limit adapter-node should enforce (see start-app.js). */
export function bodySizeLimit(env: Record<string, string | undefined>): string;
/** Ends the response instead of the process when a file of build/client cannot be read (see start-app.js). */
export function guardStaticReads(clientDir: string, warn: (record: Record<string, unknown>) => void): void;
