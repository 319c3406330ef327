// Shapes shared by the render pool (main thread) and the render threads. Types only: importing
// this loads nothing.
import type { MessagePort } from 'node:worker_threads';

/** The render columns of a Message, as stored. */
export interface RenderedBody {
  htmlSafe: string | null;
  htmlSafeRemote: string | null;
  textSafe: string | null;
  remoteContent: boolean;
  renderVersion: number;
  renderNonce: string;
  /** Why the HTML could not be rendered (too slow, too big), or null: see RenderPool. */
  renderError: string | null;
}

export interface RenderInput {
  body: { htmlBody: string | null; textBody: string | null };
  attachments: { id: string; contentId: string | null }[];
}

/** One task as a thread gets it: the input, and a port to say when the render really starts. */
export interface RenderTask extends RenderInput {
  started: MessagePort;
}

export interface RenderTaskResult {
  rendered: RenderedBody;
  /** CPU time of the render on the thread, without the wait in the queue. */
  ms: number;
}
