import { describe, expect, it } from 'vitest';
import { classifySmtpError } from './classify';

const server = { host: 'smtp.example.com', port: 587 };

describe('classifySmtpError', () => {
  it('makes a refused recipient permanent and names it', () => {
    const err = Object.assign(new Error("Can't send mail - all recipients were rejected"), {
      code: 'EENVELOPE',
      command: 'RCPT TO',
      responseCode: 550,
      rejectedErrors: [
        {
          recipient: 'x@refused.test',
          responseCode: 550,
          response: '550 5.1.1 <x@refused.test>: no such user'
        }
      ]
    });
    const f = classifySmtpError(err, server);
    expect(f.kind).toBe('permanent');
    expect(f.recipients).toEqual(['x@refused.test']);
    expect(f.reason).toMatch(/refused the recipient x@refused\.test: .*550 5\.1\.1/);
  });

  it('treats a recipient deferred with 4xx as transient', () => {
    const f = classifySmtpError(
      {
        code: 'EENVELOPE',
        rejectedErrors: [{ recipient: 'a@b.test', responseCode: 450, response: '450 greylisted' }]
      },
      server
    );
    expect(f.kind).toBe('transient');
  });

  it('makes 5xx permanent and 4xx transient', () => {
    expect(
      classifySmtpError(
        { code: 'EMESSAGE', command: 'DATA', responseCode: 552, response: '552 too big' },
        server
      )
    ).toMatchObject({ kind: 'permanent', reason: 'The mail server refused the message: 552 too big' });
    expect(
      classifySmtpError(
        { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 no' },
        server
      ).reason
    ).toMatch(/refused the sender address/);
    expect(
      classifySmtpError({ code: 'EPROTOCOL', responseCode: 421, response: '421 busy' }, server).kind
    ).toBe('transient');
    expect(
      classifySmtpError({ command: 'DATA', responseCode: 451, response: '451 later' }, server).kind
    ).toBe('transient');
  });

  it('makes an authentication failure permanent, a temporary one transient', () => {
    const f = classifySmtpError(
      { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 bad credentials' },
      server
    );
    expect(f.kind).toBe('permanent');
    expect(f.reason).toMatch(/did not accept the username or password/);
    expect(classifySmtpError({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 454 }, server).kind).toBe(
      'transient'
    );
  });

  it('makes network errors and timeouts transient', () => {
    for (const err of [
      { code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' },
      { code: 'ETIMEDOUT', message: 'Timeout' },
      { code: 'ESOCKET', message: 'read ECONNRESET' },
      { code: 'EDNS', message: 'getaddrinfo ENOTFOUND smtp.example.com' },
      new Error('Greeting never received')
    ]) {
      const f = classifySmtpError(err, server);
      expect(f.kind, JSON.stringify(err)).toBe('transient');
    }
    expect(
      classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }, server).reason
    ).toMatch(/smtp\.example\.com:587 could not be reached/);
  });
});
