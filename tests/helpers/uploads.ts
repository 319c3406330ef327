// Uploads a file as the composer does (POST /api/uploads, the raw bytes as the body), through
// the route's own handler with the session of a test client.
import { validateSessionToken, type SessionUser } from '../../src/lib/server/auth/session';
import { receiveUpload } from '../../src/lib/server/compose/uploads';
import type { Services } from '../../src/lib/server/services';
import { silentLog, type client } from './context';

export async function userOf(services: Services, c: ReturnType<typeof client>): Promise<SessionUser> {
  const v = c.token
    ? await validateSessionToken(services.db, c.token, { ttlDays: services.env.SESSION_TTL_DAYS })
    : null;
  if (!v) throw new Error('the client is not logged in');
  return v.user;
}

export function uploadRequest(
  body: BodyInit | null,
  filename: string,
  contentType = 'application/octet-stream',
  headers: Record<string, string> = {}
): { request: Request; url: URL } {
  const url = new URL(`http://localhost/api/uploads?filename=${encodeURIComponent(filename)}`);
  const request = new Request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
    ...(body instanceof ReadableStream && { duplex: 'half' })
  } as RequestInit);
  return { request, url };
}

/** Uploads `bytes`; returns the upload id (throws with the server's answer otherwise). */
export async function upload(
  services: Services,
  c: ReturnType<typeof client>,
  bytes: Buffer,
  filename = 'file.bin',
  contentType = 'application/octet-stream'
): Promise<string> {
  const { request, url } = uploadRequest(new Uint8Array(bytes), filename, contentType);
  const res = await receiveUpload(
    { db: services.db, env: services.env, log: silentLog },
    await userOf(services, c),
    request,
    url
  );
  const body = (await res.json()) as { id?: string; error?: { message: string } };
  if (res.status !== 201 || !body.id)
    throw new Error(`upload refused (${res.status}): ${body.error?.message}`);
  return body.id;
}
