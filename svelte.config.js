import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // BUILD_OUT / KIT_OUT_DIR: a second build beside the usual one (development only: lets one
    // build run end-to-end tests while another rebuilds). Both default to SvelteKit's usual places.
    adapter: adapter({ out: process.env.BUILD_OUT ?? 'build', precompress: true }),
    outDir: process.env.KIT_OUT_DIR ?? '.svelte-kit',
    // SvelteKit's own CSRF check covers form posts; hooks.server.ts adds the same check
    // for JSON requests (tRPC), which SvelteKit does not cover.
    csrf: { trustedOrigins: [] },
    // The app's pages: a nonce on SvelteKit's inline bootstrap and the theme script in app.html,
    // no other script. A mail body is an `<iframe srcdoc>`, which inherits this policy on top of
    // its own (see mailCsp in src/lib/server/mail/sanitize.ts): img-src must let "show images"
    // load http(s) images there; the mail's own CSP is what keeps them out until then.
    // 'unsafe-inline' styles: Svelte's style attributes and transitions; script stays nonce-only.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:', 'https:', 'http:'],
        'font-src': ['self', 'data:'],
        'connect-src': ['self'],
        'frame-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
        'worker-src': ['self'],
        'manifest-src': ['self']
      }
    },
    // A page's stylesheets go into its HTML as one <style> (all of the app's are under 16 KiB each;
    // the mail page's five come to ~20 KB, ~6 KB gzip): a page has no stylesheet to request
    // before its first paint. A warm visit to the inbox (a new renderer, the page from the service
    // worker) spent ~30 ms (4x throttling) issuing and taking in the five requests, even from
    // the worker's cache, before it could lay out anything; interleaved A/B of the inbox, 20 warm
    // loads each: median 304 -> 284 ms to the first rows.
    inlineStyleThreshold: 16 * 1024,
    alias: { $server: 'src/lib/server' }
  }
};

export default config;
