import { redirect } from '@sveltejs/kit';

/** For +page.server.ts loads: the signed-in user, or a redirect to the login page. */
export function requireUser(locals: App.Locals, url: URL) {
  if (!locals.user || !locals.session) {
    const next = url.pathname + url.search;
    redirect(303, `/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`);
  }
  return locals.user;
}

/** Only same-site relative paths may be a post-login destination. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/mail';
}
