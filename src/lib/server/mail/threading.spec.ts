import { describe, it, expect } from 'vitest';
import {
  assignThreadId,
  isReplySubject,
  normalizeMessageId,
  normalizeSubject,
  parseReferences,
  rootIdOf,
  threadBatch,
  threadIdForRoot,
  type ThreadInput,
  type ThreadLookup
} from './threading.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2025, 0, 10, 9, 0, 0);

function msg(
  messageId: string | null,
  opts: { inReplyTo?: string; references?: string[]; subject?: string; at?: number } = {}
): ThreadInput {
  return {
    messageId,
    inReplyTo: opts.inReplyTo ?? null,
    references: opts.references ?? [],
    subject: opts.subject ?? 'Hello',
    date: new Date(opts.at ?? T0)
  };
}

/** An in-memory stand-in for the database, storing what the worker would store. */
class MemoryStore implements ThreadLookup {
  rows: { messageId: string | null; ancestors: string[]; subject: string; date: Date; threadId: string }[] =
    [];
  queries = 0;
  constructor(private readonly withChildren = true) {
    if (!withChildren) this.childrenOf = undefined;
  }
  async byMessageIds(ids: string[]) {
    this.queries++;
    return this.rows
      .filter((r) => r.messageId !== null && ids.includes(r.messageId))
      .map((r) => ({ messageId: r.messageId!, threadId: r.threadId }));
  }
  async bySubject(subject: string, since: Date, until: Date) {
    this.queries++;
    return this.rows
      .filter((r) => normalizeSubject(r.subject) === subject && r.date >= since && r.date <= until)
      .map((r) => ({ threadId: r.threadId, date: r.date }));
  }
  childrenOf?: (messageId: string) => Promise<{ threadId: string }[]> = async (messageId) => {
    this.queries++;
    return this.rows.filter((r) => r.ancestors.includes(messageId)).map((r) => ({ threadId: r.threadId }));
  };
  async add(m: ThreadInput): Promise<string> {
    const threadId = await assignThreadId(m, this);
    this.rows.push({
      messageId: normalizeMessageId(m.messageId),
      ancestors: parseReferences([...m.references, m.inReplyTo ?? '']),
      subject: m.subject,
      date: m.date,
      threadId
    });
    return threadId;
  }
}

describe('normalizeMessageId', () => {
  it('strips brackets and whitespace and lower-cases only the domain', () => {
    expect(normalizeMessageId('<AbC.123@Mail.Example.COM>')).toBe('AbC.123@mail.example.com');
    expect(normalizeMessageId('  <x1@y.org>  ')).toBe('x1@y.org');
    expect(normalizeMessageId('x1@Y.org')).toBe('x1@y.org');
    expect(normalizeMessageId('<abc@example.com')).toBe('abc@example.com');
    expect(normalizeMessageId('<abc\r\n @example.com>')).toBe('abc@example.com');
    expect(normalizeMessageId('<first@a.com> <second@b.com>')).toBe('first@a.com');
  });

  it('rejects garbage', () => {
    for (const bad of [
      null,
      undefined,
      '',
      '   ',
      '<>',
      '<@>',
      'no-at-sign',
      '@example.com',
      'local@',
      '<a@b>'.slice(0, 0)
    ]) {
      expect(normalizeMessageId(bad)).toBeNull();
    }
    expect(normalizeMessageId('a@b.com, c@d.com')).toBeNull();
    expect(normalizeMessageId(`${'x'.repeat(600)}@example.com`)).toBeNull();
  });
});

describe('parseReferences', () => {
  it('returns all ids in order, deduplicated', () => {
    expect(parseReferences('<a@x.com> <b@x.com>\r\n <c@X.com> <a@x.com>')).toEqual([
      'a@x.com',
      'b@x.com',
      'c@x.com'
    ]);
  });

  it('tolerates missing brackets, commas and newlines', () => {
    expect(parseReferences('a@x.com, b@x.com\n\tc@x.com')).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
    expect(parseReferences('<a@x.com><b@x.com>,<c@x.com')).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
    expect(parseReferences('In message <a@x.com> (sent Monday) junk')).toEqual(['a@x.com']);
  });

  it('accepts arrays (as mailparser gives) and nothing', () => {
    expect(parseReferences(['<a@x.com>', '<b@x.com> <c@x.com>'])).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
    expect(parseReferences(null)).toEqual([]);
    expect(parseReferences(undefined)).toEqual([]);
    expect(parseReferences('')).toEqual([]);
  });
});

describe('normalizeSubject / isReplySubject', () => {
  it('strips reply and forward prefixes in several languages', () => {
    const cases: [string, string][] = [
      ['Re: Budget', 'budget'],
      ['RE: RE: Re:  Budget ', 'budget'],
      ['Fwd: FW: Fw: Budget', 'budget'],
      ['AW: WG: Budget', 'budget'],
      ['SV: VS: Antw: Budget', 'budget'],
      ['Réf : RIF: Budget', 'budget'],
      ['回复：Budget', 'budget'],
      ['转发: 回复: Budget', 'budget'],
      ['Re[2]: Budget', 'budget'],
      ['Re(3): Budget', 'budget'],
      ['Re: [dev-list] Re: Budget   2025', 'budget 2025'],
      ['[dev-list] [PATCH] Budget', 'budget'],
      ['Budget (fwd)', 'budget'],
      ['Regarding: budget', 'regarding: budget'],
      ['Recipe: pasta', 'recipe: pasta']
    ];
    for (const [input, expected] of cases) expect(normalizeSubject(input), input).toBe(expected);
  });

  it('detects replies but not forwards or plain subjects', () => {
    expect(isReplySubject('Re: Budget')).toBe(true);
    expect(isReplySubject('[list] AW: Budget')).toBe(true);
    expect(isReplySubject('Fwd: Re: Budget')).toBe(true);
    expect(isReplySubject('回复：Budget')).toBe(true);
    expect(isReplySubject('SV: Budget')).toBe(true);
    expect(isReplySubject('Fwd: Budget')).toBe(false);
    expect(isReplySubject('Budget')).toBe(false);
    expect(isReplySubject('Recipe: pasta')).toBe(false);
    expect(isReplySubject('')).toBe(false);
  });
});

describe('rootIdOf / threadIdForRoot', () => {
  it('picks the first reference, else In-Reply-To, else the own id', () => {
    expect(
      rootIdOf(msg('<c@x.com>', { references: ['<a@x.com>', '<b@x.com>'], inReplyTo: '<b@x.com>' }))
    ).toBe('a@x.com');
    expect(rootIdOf(msg('<c@x.com>', { inReplyTo: '<b@X.COM>' }))).toBe('b@x.com');
    expect(rootIdOf(msg('<c@X.com>'))).toBe('c@x.com');
    expect(rootIdOf(msg(null))).toBeNull();
    // a message that lists itself in References is not its own root
    expect(rootIdOf(msg('<c@x.com>', { references: ['<c@x.com>'] }))).toBe('c@x.com');
  });

  it('is deterministic and UUID-shaped', () => {
    const a = threadIdForRoot('a@x.com');
    expect(a).toBe(threadIdForRoot('a@x.com'));
    expect(a).not.toBe(threadIdForRoot('b@x.com'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('assignThreadId', () => {
  it('threads a reply chain into one thread named after the root', async () => {
    const s = new MemoryStore();
    const t1 = await s.add(msg('<1@x.com>', { subject: 'Plan' }));
    const t2 = await s.add(
      msg('<2@x.com>', { inReplyTo: '<1@x.com>', references: ['<1@x.com>'], subject: 'Re: Plan' })
    );
    const t3 = await s.add(
      msg('<3@x.com>', {
        inReplyTo: '<2@x.com>',
        references: ['<1@x.com>', '<2@x.com>'],
        subject: 'Re: Plan'
      })
    );
    expect(t1).toBe(threadIdForRoot('1@x.com'));
    expect(t2).toBe(t1);
    expect(t3).toBe(t1);
    const other = await s.add(msg('<9@x.com>', { subject: 'Other' }));
    expect(other).not.toBe(t1);
  });

  it('uses the nearest known ancestor when the middle of the chain is missing', async () => {
    const s = new MemoryStore();
    const t1 = await s.add(msg('<1@x.com>'));
    // 2 never arrives; 3 references 1 and 2
    const t3 = await s.add(
      msg('<3@x.com>', { inReplyTo: '<2@x.com>', references: ['<1@x.com>', '<2@x.com>'] })
    );
    expect(t3).toBe(t1);
  });

  it('prefers In-Reply-To, then the last reference, when ancestors are in different threads', async () => {
    const s = new MemoryStore();
    s.rows.push(
      { messageId: 'a@x.com', ancestors: [], subject: 'A', date: new Date(T0), threadId: 'thread-a' },
      { messageId: 'b@x.com', ancestors: [], subject: 'B', date: new Date(T0), threadId: 'thread-b' },
      { messageId: 'c@x.com', ancestors: [], subject: 'C', date: new Date(T0), threadId: 'thread-c' }
    );
    expect(await assignThreadId(msg('<n1@x.com>', { references: ['<a@x.com>', '<b@x.com>'] }), s)).toBe(
      'thread-b'
    );
    expect(
      await assignThreadId(
        msg('<n2@x.com>', { references: ['<a@x.com>', '<b@x.com>'], inReplyTo: '<c@x.com>' }),
        s
      )
    ).toBe('thread-c');
  });

  it('joins another copy of the same message (e.g. in Sent and INBOX)', async () => {
    const s = new MemoryStore();
    s.rows.push({
      messageId: 'dup@x.com',
      ancestors: [],
      subject: 'S',
      date: new Date(T0),
      threadId: 'existing'
    });
    expect(await assignThreadId(msg('<dup@X.COM>', { inReplyTo: '<unknown@x.com>' }), s)).toBe('existing');
  });

  it('puts a parent arriving after its reply into the reply thread', async () => {
    const s = new MemoryStore();
    // The reply names grandparent G and parent P; neither is known yet.
    const tReply = await s.add(
      msg('<r@x.com>', {
        inReplyTo: '<p@x.com>',
        references: ['<g@x.com>', '<p@x.com>'],
        subject: 'Re: Trip'
      })
    );
    expect(tReply).toBe(threadIdForRoot('g@x.com'));
    // P arrives without References: its own root would be P, but the reply already names it.
    const tParent = await s.add(msg('<p@x.com>', { subject: 'Trip', at: T0 - DAY }));
    expect(tParent).toBe(tReply);

    const without = new MemoryStore(false);
    await without.add(
      msg('<r@x.com>', { inReplyTo: '<p@x.com>', references: ['<g@x.com>', '<p@x.com>'], subject: 'Re: Zzz' })
    );
    expect(await without.add(msg('<p@x.com>', { subject: 'Trip', at: T0 - DAY }))).toBe(
      threadIdForRoot('p@x.com')
    );
  });

  it('threads References without angle brackets', async () => {
    const s = new MemoryStore();
    const t1 = await s.add(msg('<root@x.com>'));
    const t2 = await s.add(
      msg('<child@x.com>', { references: ['root@x.com, other@x.com'], subject: 'Something else' })
    );
    expect(t2).toBe(t1);
  });

  it('falls back to the subject for a reply whose client dropped References', async () => {
    const s = new MemoryStore();
    const t1 = await s.add(msg('<lunch@x.com>', { subject: 'Lunch on Friday?' }));
    const t2 = await s.add(msg('<r1@y.com>', { subject: 'AW: Lunch on  friday?', at: T0 + 2 * DAY }));
    expect(t2).toBe(t1);
    // headers pointing at unknown messages also allow the fallback, even without a prefix
    const t3 = await s.add(
      msg('<r2@y.com>', { subject: 'Lunch on Friday?', inReplyTo: '<gone@x.com>', at: T0 + DAY })
    );
    expect(t3).toBe(t1);
  });

  it('does not use the subject beyond 30 days', async () => {
    const s = new MemoryStore();
    const t1 = await s.add(msg('<lunch@x.com>', { subject: 'Lunch' }));
    const late = await s.add(msg('<late@y.com>', { subject: 'Re: Lunch', at: T0 + 31 * DAY }));
    expect(late).not.toBe(t1);
    expect(late).toBe(threadIdForRoot('late@y.com'));
  });

  it('does not merge unrelated messages with the same non-reply subject', async () => {
    const s = new MemoryStore();
    const a = await s.add(msg('<inv1@shop.com>', { subject: 'Invoice' }));
    const b = await s.add(msg('<inv2@shop.com>', { subject: 'Invoice', at: T0 + DAY }));
    expect(b).not.toBe(a);
    expect(b).toBe(threadIdForRoot('inv2@shop.com'));
  });

  it('joins the nearest earlier thread when several share the subject', async () => {
    const s = new MemoryStore();
    const week1 = await s.add(msg('<w1@x.com>', { subject: 'Weekly report', at: T0 }));
    const week2 = await s.add(msg('<w2@x.com>', { subject: 'Weekly report', at: T0 + 7 * DAY }));
    const week3 = await s.add(msg('<w3@x.com>', { subject: 'Weekly report', at: T0 + 14 * DAY }));
    expect(new Set([week1, week2, week3]).size).toBe(3);
    expect(await s.add(msg('<re@y.com>', { subject: 'Re: Weekly report', at: T0 + 8 * DAY }))).toBe(week2);
    expect(await s.add(msg('<re0@y.com>', { subject: 'Re: Weekly report', at: T0 - DAY }))).toBe(week1);
  });

  it('gives two racing workers the same new id for the same conversation', async () => {
    const a = new MemoryStore();
    const b = new MemoryStore();
    const [ta, tb] = await Promise.all([
      a.add(msg('<r1@x.com>', { inReplyTo: '<root@x.com>', references: ['<root@x.com>'], subject: 'Re: Q' })),
      b.add(msg('<r2@y.com>', { inReplyTo: '<root@x.com>', references: ['<root@x.com>'], subject: 'Re: Q' }))
    ]);
    expect(ta).toBe(tb);
    // and the root itself, arriving later with no knowledge of them, lands there too
    expect(await new MemoryStore().add(msg('<root@x.com>', { subject: 'Q' }))).toBe(ta);
  });

  it('uses a random id only when there is no Message-ID at all', async () => {
    const a = await assignThreadId(msg(null, { subject: 'x' }), new MemoryStore());
    const b = await assignThreadId(msg(null, { subject: 'x' }), new MemoryStore());
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });
});

describe('threadBatch', () => {
  it('threads chains, missing middles, out-of-order parents and broken References', () => {
    const list = [
      msg('<3@x.com>', { inReplyTo: '<2@x.com>', references: ['<1@x.com>', '<2@x.com>'], at: T0 + 3000 }), // 0
      msg('<1@x.com>', { subject: 'Plan', at: T0 }), // 1
      msg('<5@x.com>', { references: ['1@x.com 4@x.com'], at: T0 + 5000 }), // 2: no brackets, 4 missing
      msg('<other@x.com>', { subject: 'Other', at: T0 + 10 }), // 3
      msg('<p@x.com>', { subject: 'Trip', at: T0 }), // 4: parent after reply in list order
      msg('<r@x.com>', { references: ['<g@x.com>', '<p@x.com>'], subject: 'Re: Trip', at: T0 + 1 }) // 5
    ];
    const ids = threadBatch(list);
    expect(ids.size).toBe(6);
    expect(ids.get(0)).toBe(threadIdForRoot('1@x.com'));
    expect(ids.get(1)).toBe(ids.get(0));
    expect(ids.get(2)).toBe(ids.get(0));
    expect(ids.get(3)).toBe(threadIdForRoot('other@x.com'));
    expect(ids.get(4)).toBe(threadIdForRoot('g@x.com'));
    expect(ids.get(5)).toBe(ids.get(4));
  });

  it('applies the subject rules like the incremental resolver', () => {
    const list = [
      msg('<inv1@shop.com>', { subject: 'Invoice', at: T0 }), // 0
      msg('<inv2@shop.com>', { subject: 'Invoice', at: T0 + DAY }), // 1
      msg('<w1@x.com>', { subject: 'Weekly report', at: T0 }), // 2
      msg('<w2@x.com>', { subject: 'Weekly report', at: T0 + 7 * DAY }), // 3
      msg('<re@y.com>', { subject: 'Re: Weekly report', at: T0 + 8 * DAY }), // 4
      msg('<late@y.com>', { subject: 'Re: Invoice', at: T0 + 45 * DAY }), // 5
      msg('<sv@y.com>', { subject: 'SV: [team] weekly REPORT', at: T0 + 9 * DAY }) // 6
    ];
    const ids = threadBatch(list);
    expect(ids.get(0)).not.toBe(ids.get(1));
    expect(ids.get(2)).not.toBe(ids.get(3));
    expect(ids.get(4)).toBe(ids.get(3));
    expect(ids.get(6)).toBe(ids.get(3));
    expect(ids.get(3)).toBe(threadIdForRoot('w2@x.com'));
    expect(ids.get(5)).toBe(threadIdForRoot('late@y.com'));
  });

  it('gives copies of the same Message-ID the same thread and survives reference loops', () => {
    const list = [
      msg('<a@x.com>', { references: ['<b@x.com>'] }),
      msg('<b@x.com>', { references: ['<a@x.com>'] }),
      msg('<a@x.com>'),
      msg('<self@x.com>', { references: ['<self@x.com>'], inReplyTo: '<self@x.com>' })
    ];
    const ids = threadBatch(list);
    expect(ids.get(0)).toBe(ids.get(1));
    expect(ids.get(2)).toBe(ids.get(0));
    expect(ids.get(3)).toBe(threadIdForRoot('self@x.com'));
  });

  it('agrees with the incremental resolver on the same mail', async () => {
    const list = [
      msg('<1@x.com>', { subject: 'Plan', at: T0 }),
      msg('<2@x.com>', {
        inReplyTo: '<1@x.com>',
        references: ['<1@x.com>'],
        subject: 'Re: Plan',
        at: T0 + 1000
      }),
      msg('<3@x.com>', { subject: 'Re: Plan', at: T0 + 2000 }),
      msg('<4@x.com>', { subject: 'Invoice', at: T0 + 3000 }),
      msg('<5@x.com>', { subject: 'Invoice', at: T0 + 4000 }),
      msg('<6@x.com>', { references: ['<zz@x.com>'], subject: 'New', at: T0 + 5000 }),
      msg('<7@x.com>', { inReplyTo: '<6@x.com>', subject: 'Re: New', at: T0 + 6000 })
    ];
    const batch = threadBatch(list);
    const s = new MemoryStore();
    for (const [i, m] of list.entries()) expect(await s.add(m), `message ${i}`).toBe(batch.get(i));
  });

  it('threads 10k messages in one pass', () => {
    const conversations = 2000;
    const list: ThreadInput[] = [];
    const expected: string[] = [];
    for (let k = 0; k < conversations; k++) {
      const root = `root-${k}@example.com`;
      const start = T0 + k * 60 * 60 * 1000;
      const ids = [
        root,
        `r1-${k}@example.com`,
        `r2-${k}@example.org`,
        `r3-${k}@example.net`,
        `r4-${k}@example.com`
      ];
      for (let n = 0; n < 5; n++) {
        if (k % 7 === 0 && n === 0) continue; // root never synced
        if (k % 5 === 0 && n === 2) continue; // missing middle
        const refs = ids.slice(0, n).map((id) => `<${id}>`);
        const dropsReferences = k % 11 === 0 && n === 4;
        list.push(
          msg(`<${ids[n]}>`, {
            subject: n === 0 ? `Topic ${k}` : `Re: Topic ${k}`,
            references: dropsReferences ? [] : k % 3 === 0 ? [refs.join(', ').replace(/[<>]/g, '')] : refs,
            inReplyTo: dropsReferences || n === 0 ? undefined : `<${ids[n - 1]}>`,
            at: start + n * 10 * 60 * 1000
          })
        );
        expected.push(threadIdForRoot(root));
      }
    }
    for (let n = 0; n < 1500; n++) {
      list.push(msg(`<invoice-${n}@shop.example>`, { subject: 'Invoice', at: T0 + n * 60 * 1000 }));
      expected.push(threadIdForRoot(`invoice-${n}@shop.example`));
    }
    // a deterministic shuffle, so list order is not date order
    for (let i = list.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    expect(list.length).toBeGreaterThan(9000);

    const started = performance.now();
    const ids = threadBatch(list);
    const ms = performance.now() - started;
    process.stdout.write(`threadBatch: ${list.length} messages in ${ms.toFixed(1)} ms\n`);

    expect(ids.size).toBe(list.length);
    const wrong = list.map((_, i) => i).filter((i) => ids.get(i) !== expected[i]);
    expect(wrong).toEqual([]);
    expect(new Set(ids.values()).size).toBe(conversations + 1500);
  });
});
