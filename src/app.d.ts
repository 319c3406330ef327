import type { Logger } from 'pino';
import type { SessionUser, ValidSession } from './lib/server/auth/session';

declare global {
  namespace App {
    interface Error {
      message: string;
      errorId?: string;
    }
    interface Locals {
      requestId: string;
      log: Logger;
      ip: string;
      user: SessionUser | null;
      session: ValidSession | null;
    }
  }
}

// `blocking="render"` (HTML's render-blocking attribute; the mail layout's rel=expect link) is not
// in Svelte's element types yet
declare module 'svelte/elements' {
  interface HTMLLinkAttributes {
    blocking?: 'render' | null;
  }
}

export {};
