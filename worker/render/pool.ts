/**
 * Renders message bodies on a small pool of worker threads (piscina), off the worker's main
 * thread: sanitising a 1-2 MB HTML mail takes seconds to tens of seconds of CPU, and the main
 * thread must keep answering IMAP IDLE, running BullMQ jobs and renewing the account leases
 * (a lease not renewed in IMAP_LEASE_SECONDS hands the accounts to another worker).
 *
 * A render that runs longer than RENDER_TIMEOUT_SECONDS is stopped by terminating its thread
 * (piscina starts a new one); the body is then stored without HTML and with the reason in
 * renderError, and messages.get tells the user to download the message instead. The timeout
 * counts from the moment the render starts on a thread (the thread says so), not from when it
 * was queued: a render waiting behind another one is not "too complex".
 *
 * This module must not load jsdom: only thread.ts (in the threads) does.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import { newRenderNonce, RENDER_VERSION } from '../../src/lib/server/mail/render-store.js';
import type { RenderedBody, RenderInput, RenderTask, RenderTaskResult } from './types.js';

export type { RenderedBody, RenderInput } from './types.js';

/** HTML above this is logged with its render time (a render takes seconds at this size). */
const LARGE_HTML_CHARS = 1_000_000;

export interface RenderOutcome {
  rendered: RenderedBody;
  /** The render's time on its thread (or until it was stopped), without the wait in the queue. */
  ms: number;
}

/** What the jobs need: render a body, never throwing for a body that cannot be rendered. */
export interface Renderer {
  render(input: RenderInput, meta: { messageId: string; log: Logger }): Promise<RenderOutcome>;
}

/** A render that cannot succeed (too slow, too big, crashed): stored as such, not retried. */
class RenderFailed extends Error {
  constructor(
    message: string,
    readonly ms: number
  ) {
    super(message);
  }
}

/** The thread module next to this one, under the same extension (.ts under tsx, .js if built). */
function threadFile(): string {
  const own = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./thread${extname(own)}`, import.meta.url));
}

/**
 * Threads inherit process.execArgv, so under `node --import tsx` they load thread.ts as the main
 * thread loads this file. Started some other way (a test runner), a .ts thread gets tsx itself.
 */
function threadExecArgv(filename: string): string[] | undefined {
  if (!filename.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx'))) return undefined;
  return [...process.execArgv, '--import', 'tsx'];
}

export class RenderPool implements Renderer {
  private readonly pool: Piscina<RenderTask, RenderTaskResult>;
  private closing = false;

  constructor(private readonly opts: { threads: number; timeoutMs: number; log: Logger; filename?: string }) {
    const filename = opts.filename ?? threadFile();
    this.pool = new Piscina({
      filename,
      execArgv: threadExecArgv(filename),
      // always warm: a thread takes seconds to load jsdom, which an open would wait for
      minThreads: opts.threads,
      maxThreads: opts.threads,
      idleTimeout: 2 ** 31 - 1,
      // not 'sync' (piscina's default): an idle thread blocked in Atomics.wait runs no timers,
      // and the thread's idle garbage collection (memory.ts) needs one
      atomics: 'async',
      // a render's garbage dies young; a young generation grown to V8's default (3 x 16 MB) would
      // stay resident for the life of the thread after one big newsletter, for no gain in speed
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      name: 'default'
    });
    this.pool.on('error', (err: unknown) => opts.log.error({ err }, 'render pool error'));
  }

  /** Resolves once a thread has rendered something: fails fast when threads cannot start. */
  async ready(): Promise<void> {
    await this.runOnce({ body: { htmlBody: '<p>ready</p>', textBody: null }, attachments: [] });
  }

  async render(input: RenderInput, meta: { messageId: string; log: Logger }): Promise<RenderOutcome> {
    const chars = input.body.htmlBody?.length ?? 0;
    const large = chars > LARGE_HTML_CHARS;
    const { messageId, log } = meta;
    try {
      const r = await this.runOnce(input, () => {
        if (large) log.info({ messageId, chars }, 'rendering a large HTML body');
      });
      if (large) log.info({ messageId, chars, ms: r.ms }, 'large HTML body rendered');
      else log.debug({ messageId, chars, ms: r.ms }, 'body rendered');
      return r;
    } catch (err) {
      if (!(err instanceof RenderFailed)) throw err;
      log.warn({ messageId, chars, ms: err.ms, reason: err.message }, 'message body could not be rendered');
      // the plain text is usually small and simple: still worth showing under the notice
      const text = input.body.textBody
        ? await this.runOnce({ body: { htmlBody: null, textBody: input.body.textBody }, attachments: [] })
            .then((t) => t.rendered.textSafe)
            .catch((e: unknown) => {
              if (!(e instanceof RenderFailed)) throw e;
              return null;
            })
        : null;
      return {
        rendered: {
          htmlSafe: null,
          htmlSafeRemote: null,
          textSafe: text,
          remoteContent: false,
          renderVersion: RENDER_VERSION,
          renderNonce: newRenderNonce(),
          renderError: err.message
        },
        ms: err.ms
      };
    }
  }

  private async runOnce(input: RenderInput, onStart?: () => void): Promise<RenderOutcome> {
    if (this.closing) throw new Error('the render pool is shutting down');
    const timeoutMs = this.opts.timeoutMs;
    const abort = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    let startedAt: number | null = null;
    port1.once('message', () => {
      startedAt = performance.now();
      timer = setTimeout(() => abort.abort(), timeoutMs);
      onStart?.();
    });
    try {
      return await this.pool.run(
        { body: input.body, attachments: input.attachments, started: port2 },
        { transferList: [port2], signal: abort.signal }
      );
    } catch (err) {
      const ms = startedAt === null ? 0 : Math.round(performance.now() - startedAt);
      if (this.closing) throw err; // shutting down: the job goes back to the queue, nothing is stored
      if (abort.signal.aborted)
        throw new RenderFailed(`rendering took longer than ${timeoutMs / 1000} s and was stopped`, ms);
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY')
        throw new RenderFailed('rendering needed more memory than a render thread has', ms);
      throw new RenderFailed(`rendering failed: ${err instanceof Error ? err.message : String(err)}`, ms);
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  /** Stops the threads; renders still running fail (their jobs go back to the queue). */
  async close(): Promise<void> {
    this.closing = true;
    await this.pool.destroy();
  }
}
