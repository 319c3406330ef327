// Why a send failed, and whether trying again can help. Permanent: the server said no for good
// (a 5xx reply: unknown recipient, sender refused, message refused, authentication failed).
// Transient: the server said "not now" (4xx), or we could not talk to it (network, timeout,
// TLS). The reason is written for the user and names the refused recipients. Pure: no I/O.

export type FailureKind = 'permanent' | 'transient';

export interface SendFailure {
  kind: FailureKind;
  reason: string;
  /** the recipients the server refused, if that was the problem */
  recipients: string[];
}

interface SmtpErrorLike {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  message?: string;
  recipient?: string;
  rejected?: string[];
  rejectedErrors?: SmtpErrorLike[];
}

const NETWORK = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EGREETING'
]);

/** The server's reply on one line, without the noise of a multi-line answer. */
function reply(e: SmtpErrorLike): string {
  return (e.response ?? e.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function classifySmtpError(err: unknown, server: { host: string; port: number }): SendFailure {
  const e = (err ?? {}) as SmtpErrorLike;
  const code = e.responseCode;
  const where = `${server.host}:${server.port}`;

  // recipients refused at RCPT TO (some or all): name each with the server's words
  const refused = (e.rejectedErrors ?? []).filter((r) => r.recipient);
  if (refused.length) {
    const temporary = refused.some((r) => (r.responseCode ?? 0) >= 400 && (r.responseCode ?? 0) < 500);
    const names = refused.map((r) => r.recipient!) as string[];
    const detail = refused.map((r) => `${r.recipient}: ${reply(r)}`).join('; ');
    return temporary
      ? {
          kind: 'transient',
          reason: `The mail server asked to try later for ${names.join(', ')} (${detail}).`,
          recipients: names
        }
      : {
          kind: 'permanent',
          reason: `The mail server refused ${names.length === 1 ? 'the recipient' : 'the recipients'} ${names.join(', ')}: ${detail}. Correct or remove ${names.length === 1 ? 'it' : 'them'} and send again.`,
          recipients: names
        };
  }

  const isAuth =
    e.code === 'EAUTH' || code === 535 || code === 534 || code === 530 || /^AUTH/i.test(e.command ?? '');
  if (isAuth && !(code && code >= 400 && code < 500))
    return {
      kind: 'permanent',
      reason: `The SMTP server at ${server.host} did not accept the username or password of this account${reply(e) ? ` (${reply(e)})` : ''}. Check them in the account settings, then retry.`,
      recipients: []
    };

  if (code && code >= 500) {
    const what =
      e.command === 'MAIL FROM'
        ? 'refused the sender address'
        : /^DATA|^\.|message/i.test(e.command ?? 'message')
          ? 'refused the message'
          : 'refused to send the message';
    return { kind: 'permanent', reason: `The mail server ${what}: ${reply(e)}`, recipients: [] };
  }
  if (code && code >= 400)
    return { kind: 'transient', reason: `The mail server asked to try later: ${reply(e)}`, recipients: [] };

  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')
    // refused by nodemailer before the server saw it (no valid recipient, too large for the server)
    return { kind: 'permanent', reason: `The message could not be sent: ${reply(e)}`, recipients: [] };

  if (e.code === 'ETLS' || /certificate|ssl|tls/i.test(e.message ?? ''))
    return {
      kind: 'transient',
      reason: `A secure connection to the SMTP server at ${where} could not be set up (${reply(e)}).`,
      recipients: []
    };
  if (NETWORK.has(e.code ?? '') || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|timed? ?out/i.test(e.message ?? ''))
    return {
      kind: 'transient',
      reason: `The SMTP server at ${where} could not be reached (${reply(e) || e.code}).`,
      recipients: []
    };
  // anything else (protocol surprises, our own errors): worth another try, within the limit
  return { kind: 'transient', reason: `Sending failed: ${reply(e) || 'unknown error'}`, recipients: [] };
}
