/**
 * The project-local mail servers (scripts/servers.sh) really work: Postfix submission with SASL
 * through Dovecot, delivery over LMTP into Dovecot, the relay port's rules, POP3 and ManageSieve.
 * Real servers only, no mocks. Needs SERVERS_ENV=DIR/servers.env.
 */
import { describe, it, expect, afterAll } from 'vitest';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { mailServers } from '../helpers/servers';

const servers = mailServers();
const [alice, bob, carol] = servers.users as [string, string, string, ...string[]];

const openClients: ImapFlow[] = [];

afterAll(async () => {
  await Promise.all(openClients.map((c) => c.logout().catch(() => c.close())));
});

async function imap(user: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: servers.host,
    port: servers.imapPort,
    secure: false,
    auth: { user, pass: servers.password },
    logger: false
  });
  await client.connect();
  openClients.push(client);
  return client;
}

/** Waits (polling with NOOP) until a message with SUBJECT is in INBOX; returns its UID. */
async function waitForSubject(client: ImapFlow, subject: string, timeoutMs = 10_000): Promise<number> {
  const lock = await client.getMailboxLock('INBOX');
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const uids = await client.search({ header: { subject } }, { uid: true });
      if (uids && uids.length > 0) return uids[0] as number;
      if (Date.now() > deadline) throw new Error(`no message "${subject}" in INBOX after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 150));
      await client.noop();
    }
  } finally {
    lock.release();
  }
}

/** A minimal line-protocol client for SMTP/POP3/ManageSieve conversations on a raw socket. */
class LineClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: servers.host, port }, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error(`timeout talking to port ${port}`)));
    });
  }

  /** Reads lines until `done(line)` is true for one; returns all lines read. */
  async readUntil(done: (line: string) => boolean): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        lines.push(line);
        if (done(line)) return lines;
        continue;
      }
      if (this.closed) throw new Error(`connection closed; read so far: ${lines.join(' | ')}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** One SMTP reply (multi-line aware): the last line, e.g. "250 2.0.0 Ok". */
  async smtpReply(): Promise<string> {
    const lines = await this.readUntil((l) => /^\d{3}(?: |$)/.test(l));
    return lines[lines.length - 1] as string;
  }

  async smtp(command: string): Promise<string> {
    this.send(command);
    return this.smtpReply();
  }

  send(line: string): void {
    this.socket.write(line + '\r\n');
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

describe('project-local mail servers', () => {
  it('delivers mail sent through submission (SASL as alice) to bob over LMTP', async () => {
    const bobImap = await imap(bob);
    const subject = `servers test ${randomUUID()}`;
    const body = `Hello Bob,\nthis came through Postfix submission and Dovecot LMTP.\nÄpfel & Grüße\n`;

    const transport = nodemailer.createTransport({
      host: servers.host,
      port: servers.submissionPort,
      secure: false,
      ignoreTLS: true,
      auth: { user: alice, pass: servers.password }
    });
    const info = await transport.sendMail({ from: alice, to: bob, subject, text: body });
    transport.close();
    expect(info.accepted).toEqual([bob]);

    const uid = await waitForSubject(bobImap, subject);
    const msg = await bobImap.fetchOne(String(uid), { source: true, envelope: true }, { uid: true });
    expect(msg).toBeTruthy();
    if (!msg || !msg.source) throw new Error('no message source');
    expect(msg.envelope?.subject).toBe(subject);
    const parsed = await simpleParser(msg.source);
    expect(parsed.subject).toBe(subject);
    expect(parsed.from?.value[0]?.address).toBe(alice);
    expect(parsed.text?.trim()).toBe(body.trim());
  });

  it('relay port accepts mail for the local domain without auth and refuses relaying elsewhere', async () => {
    const smtp = await LineClient.connect(servers.smtpPort);
    try {
      expect(await smtp.smtpReply()).toMatch(/^220 /);
      expect(await smtp.smtp('EHLO tests.example.test')).toMatch(/^250 /);

      // outside domain: refused at RCPT time with a permanent error
      expect(await smtp.smtp('MAIL FROM:<someone@elsewhere.example>')).toMatch(/^250 /);
      const outside = await smtp.smtp('RCPT TO:<victim@outside.example.org>');
      expect(outside).toMatch(/^5\d\d /);
      expect(outside).toMatch(/relay/i);
      expect(await smtp.smtp('RSET')).toMatch(/^250 /);

      // local domain: accepted without AUTH and delivered
      const subject = `relay test ${randomUUID()}`;
      expect(await smtp.smtp('MAIL FROM:<newsletter@elsewhere.example>')).toMatch(/^250 /);
      expect(await smtp.smtp(`RCPT TO:<${carol}>`)).toMatch(/^250 /);
      expect(await smtp.smtp('DATA')).toMatch(/^354 /);
      const data = [
        'From: Newsletter <newsletter@elsewhere.example>',
        `To: <${carol}>`,
        `Subject: ${subject}`,
        `Message-ID: <${randomUUID()}@elsewhere.example>`,
        `Date: ${new Date().toUTCString()}`,
        '',
        'Delivered through the relay port.',
        '.'
      ].join('\r\n');
      expect(await smtp.smtp(data)).toMatch(/^250 /);
      await smtp.smtp('QUIT');

      const carolImap = await imap(carol);
      expect(await waitForSubject(carolImap, subject)).toBeGreaterThan(0);
    } finally {
      smtp.close();
    }
  });

  it('submission refuses a wrong password with 535', async () => {
    const transport = nodemailer.createTransport({
      host: servers.host,
      port: servers.submissionPort,
      secure: false,
      ignoreTLS: true,
      auth: { user: alice, pass: `${servers.password}-wrong` }
    });
    try {
      await expect(transport.verify()).rejects.toMatchObject({ responseCode: 535 });
    } finally {
      transport.close();
    }
  });

  it('submission refuses mail without authentication', async () => {
    const smtp = await LineClient.connect(servers.submissionPort);
    try {
      expect(await smtp.smtpReply()).toMatch(/^220 /);
      expect(await smtp.smtp('EHLO tests.example.test')).toMatch(/^250 /);
      expect(await smtp.smtp(`MAIL FROM:<${alice}>`)).toMatch(/^250 /);
      expect(await smtp.smtp(`RCPT TO:<${bob}>`)).toMatch(/^5\d\d /);
      await smtp.smtp('QUIT');
    } finally {
      smtp.close();
    }
  });

  it('POP3 login works', async () => {
    const pop = await LineClient.connect(servers.pop3Port);
    try {
      const [greeting] = await pop.readUntil(() => true);
      expect(greeting).toMatch(/^\+OK/);
      pop.send(`USER ${bob}`);
      expect((await pop.readUntil(() => true))[0]).toMatch(/^\+OK/);
      pop.send(`PASS ${servers.password}`);
      expect((await pop.readUntil(() => true))[0]).toMatch(/^\+OK/);
      pop.send('STAT');
      expect((await pop.readUntil(() => true))[0]).toMatch(/^\+OK \d+ \d+/);
      pop.send('QUIT');
      expect((await pop.readUntil(() => true))[0]).toMatch(/^\+OK/);
    } finally {
      pop.close();
    }
  });

  it('POP3 refuses a wrong password', async () => {
    const pop = await LineClient.connect(servers.pop3Port);
    try {
      await pop.readUntil(() => true);
      pop.send(`USER ${bob}`);
      await pop.readUntil(() => true);
      pop.send('PASS wrong-password');
      expect((await pop.readUntil(() => true))[0]).toMatch(/^-ERR/);
    } finally {
      pop.close();
    }
  });

  it('ManageSieve greets and accepts a login', async () => {
    const sieve = await LineClient.connect(servers.sievePort);
    try {
      const greeting = await sieve.readUntil((l) => /^(OK|NO|BYE)\b/.test(l));
      expect(greeting.join('\n')).toMatch(/"IMPLEMENTATION"/);
      expect(greeting.join('\n')).toMatch(/"SIEVE" "[^"]*fileinto/);
      expect(greeting[greeting.length - 1]).toMatch(/^OK/);
      const token = Buffer.from(`\0${alice}\0${servers.password}`).toString('base64');
      sieve.send(`AUTHENTICATE "PLAIN" "${token}"`);
      const auth = await sieve.readUntil((l) => /^(OK|NO|BYE)\b/.test(l));
      expect(auth[auth.length - 1]).toMatch(/^OK/);
      sieve.send('LOGOUT');
    } finally {
      sieve.close();
    }
  });
});
