import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build', precompress: true }),
    // SvelteKit's own CSRF check covers form posts; hooks.server.ts adds the same check
    // for JSON requests (tRPC), which SvelteKit does not cover.
    csrf: { trustedOrigins: [] },
    alias: { $server: 'src/lib/server' }
  }
};

export default config;
