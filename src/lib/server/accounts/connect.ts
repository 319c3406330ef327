// How we open IMAP and SMTP connections for an account (shared by the app, which verifies a
// login once when an account is added, and the worker), and how connection failures are
// told apart so the user gets a message they can act on.
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

export type TlsMode = 'tls' | 'starttls' | 'none';

export interface ServerLogin {
  host: string;
  port: number;
  tls: TlsMode;
  username: string;
  password: string;
}

export function imapOptions(s: ServerLogin, timeoutSeconds: number): ImapFlowOptions {
  return {
    host: s.host,
    port: s.port,
    secure: s.tls === 'tls',
    doSTARTTLS: s.tls === 'starttls' ? true : s.tls === 'none' ? false : undefined,
    auth: { user: s.username, pass: s.password },
    logger: false,
    connectionTimeout: timeoutSeconds * 1000,
    greetingTimeout: timeoutSeconds * 1000,
    socketTimeout: Math.max(5 * 60_000, timeoutSeconds * 1000),
    tls: { servername: /^[\d.:]+$/.test(s.host) ? undefined : s.host }
  } as ImapFlowOptions;
}

export function smtpOptions(s: ServerLogin, timeoutSeconds: number): SMTPTransport.Options {
  return {
    host: s.host,
    port: s.port,
    secure: s.tls === 'tls',
    requireTLS: s.tls === 'starttls',
    ignoreTLS: s.tls === 'none',
    auth: { user: s.username, pass: s.password },
    connectionTimeout: timeoutSeconds * 1000,
    greetingTimeout: timeoutSeconds * 1000,
    socketTimeout: timeoutSeconds * 1000,
    logger: false,
    debug: false
  };
}

export type FailureKind = 'auth' | 'dns' | 'refused' | 'tls' | 'timeout' | 'protocol';

const TLS_CODES =
  /^(ERR_SSL|ERR_TLS|EPROTO|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** Which of the user-fixable failures an IMAP or SMTP connection error is. */
export function classifyConnectError(err: unknown): FailureKind {
  const e = (err ?? {}) as {
    code?: string;
    authenticationFailed?: boolean;
    tlsFailed?: boolean;
    responseCode?: number;
    message?: string;
    _err?: { code?: string };
  };
  const code = e.code ?? e._err?.code ?? '';
  const msg = String(e.message ?? '');
  if (e.authenticationFailed || code === 'EAUTH' || e.responseCode === 535) return 'auth';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EDNS' || /getaddrinfo/.test(msg))
    return 'dns';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return 'refused';
  // codes first: imapflow's greeting timeout message says "Maybe should use TLS?"
  if (/TIMEOUT|ETIMEDOUT/.test(code)) return 'timeout';
  if (e.tlsFailed || TLS_CODES.test(code) || /certificate|ssl|tls|wrong version number/i.test(msg))
    return 'tls';
  if (/timed? ?out/i.test(msg)) return 'timeout';
  return 'protocol';
}

export function failureMessage(
  protocol: 'IMAP' | 'SMTP',
  s: Pick<ServerLogin, 'host' | 'port'>,
  kind: FailureKind,
  timeoutSeconds: number
): string {
  const where = `${s.host}:${s.port}`;
  switch (kind) {
    case 'auth':
      return `The ${protocol} server at ${s.host} did not accept the username or password. Check them (some providers need an app password).`;
    case 'dns':
      return `The ${protocol} server name "${s.host}" could not be found. Check the spelling of the host name.`;
    case 'refused':
      return `Nothing accepts ${protocol} connections at ${where}. Check the port and the security setting (${protocol === 'IMAP' ? 'usually 993 with TLS, or 143 with STARTTLS' : 'usually 465 with TLS, or 587 with STARTTLS'}).`;
    case 'tls':
      return `A secure connection to the ${protocol} server at ${where} could not be set up. Check the security setting (TLS or STARTTLS) and the server's certificate.`;
    case 'timeout':
      return `The ${protocol} server at ${where} did not answer within ${timeoutSeconds} s. Check the host and port, and that a firewall lets the connection through.`;
    default:
      return `The ${protocol} server at ${where} answered in a way we did not expect. Check that it is a ${protocol} server and the security setting is right.`;
  }
}

export class ConnectFailure extends Error {
  constructor(
    readonly protocol: 'IMAP' | 'SMTP',
    readonly kind: FailureKind,
    message: string
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

/** Logs in to IMAP and out again; throws ConnectFailure with a message for the user. */
export async function verifyImap(
  s: ServerLogin,
  timeoutSeconds: number
): Promise<{ capabilities: string[] }> {
  const client = new ImapFlow(imapOptions(s, timeoutSeconds));
  client.on('error', () => {});
  try {
    await client.connect();
    const capabilities = [...(client.capabilities?.keys?.() ?? [])];
    await client.logout();
    return { capabilities };
  } catch (err) {
    client.close();
    const kind = classifyConnectError(err);
    throw new ConnectFailure('IMAP', kind, failureMessage('IMAP', s, kind, timeoutSeconds));
  }
}

/** Connects and authenticates to SMTP without sending; throws ConnectFailure. */
export async function verifySmtp(s: ServerLogin, timeoutSeconds: number): Promise<void> {
  const transport = nodemailer.createTransport(smtpOptions(s, timeoutSeconds));
  try {
    await transport.verify();
  } catch (err) {
    const kind = classifyConnectError(err);
    throw new ConnectFailure('SMTP', kind, failureMessage('SMTP', s, kind, timeoutSeconds));
  } finally {
    transport.close();
  }
}

/** Loopback hosts may be used without TLS; anything else needs an admin's permission. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}
