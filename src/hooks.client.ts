import type { ClientInit } from '@sveltejs/kit';

/**
 * Before hydrating, let the browser paint the server-rendered page. A page opened from the
 * service worker's copy has its scripts at once (from the cache), and hydration (a few hundred
 * ms on a slow phone) then ran before the first paint: the mail the HTML already held stayed
 * invisible until the app had taken it over. Now the first frame comes first. A hidden tab
 * paints no frames, so it does not wait for one; nor does anything wait longer than 100 ms.
 */
export const init: ClientInit = () => {
  if (document.visibilityState !== 'visible') return;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      // a rAF callback runs just before its frame is painted; a task queued from it runs after
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        clearTimeout(timer);
        resolve();
      };
      ch.port2.postMessage(0);
    });
  });
};
