// The code of a render thread (a piscina worker; see pool.ts). Loading this module loads jsdom
// and builds the sanitiser's window before the thread reports ready, so the timeout of a render
// never pays for a thread's start.
import { startIdleGc } from '../memory.js';
import { renderBody, warmUp } from './render-body.js';
import type { RenderTask, RenderTaskResult } from './types.js';

warmUp();
// jsdom leaves a lot behind per render: collect it once the thread has gone quiet
startIdleGc();

export default function render(task: RenderTask): RenderTaskResult {
  // the pool starts the render's timeout on this message, not when the task was queued
  task.started.postMessage('started');
  task.started.close();
  const t0 = performance.now();
  const rendered = renderBody(task.body, task.attachments);
  return { rendered, ms: Math.round(performance.now() - t0) };
}
