import { describe, expect, it } from 'vitest';
import { EMPTY, fillAhead, loaded, MAX_FRAMES, show, type FrameDoc, type Slots } from './frame-slots';

const d = (name: string, html = true): FrameDoc => ({ doc: `<p>${name}</p>`, html });
const names = (s: Slots) => s.docs.map((x) => x.doc.slice(3, -4));
/** every frame's load event has come */
const allLoaded = (s: Slots) => s.docs.reduce((t, d, i) => loaded(t, i, d.doc), s);

describe('body frame slots', () => {
  it('the first body gets the first frame', () => {
    const s = show(EMPTY, d('a'));
    expect(names(s)).toEqual(['a']);
    expect(s.on).toBe(0);
  });

  it('a body rendered ahead is shown in its own frame, and no frame gets a new document', () => {
    let s = show(EMPTY, d('a'));
    s = allLoaded(fillAhead(s, [d('b'), d('z')]));
    expect(names(s)).toEqual(['a', 'b', 'z']);
    const before = s.docs;
    s = show(s, d('b'));
    expect(s.on).toBe(1);
    expect(s.docs).toBe(before);
  });

  it('a body still loading in a hidden frame is not shown there (that frame still shows another mail)', () => {
    let s = allLoaded(fillAhead(show(EMPTY, d('a')), [d('b'), d('z')]));
    // b's frame is given c, and j comes before c has loaded there
    s = fillAhead(s, [d('c'), d('z')]);
    expect(names(s)).toEqual(['a', 'c', 'z']);
    expect(s.ready).toEqual([true, false, true]);
    s = show(s, d('c'));
    expect(s.on).toBe(0);
    expect(names(s)).toEqual(['c', 'c', 'z']);
    expect(s.ready).toEqual([false, false, true]);
  });

  it('a load event counts only for the document the frame has now', () => {
    let s = fillAhead(show(EMPTY, d('a')), [d('b')]);
    expect(loaded(s, 1, d('old').doc)).toBe(s);
    s = loaded(s, 1, d('b').doc);
    expect(s.ready).toEqual([false, true]);
    expect(loaded(s, 1, d('b').doc)).toBe(s);
  });

  it('a body not rendered ahead goes into the frame shown', () => {
    let s = fillAhead(show(EMPTY, d('a')), [d('b')]);
    s = show(s, d('c'));
    expect(names(s)).toEqual(['c', 'b']);
    expect(s.on).toBe(0);
  });

  it('j then the next neighbours: the frame with the body left behind is kept for k, the other reused', () => {
    // a shown, b (next) and z (previous) ahead; j shows b, whose neighbours are c and a
    let s = allLoaded(fillAhead(show(EMPTY, d('a')), [d('b'), d('z')]));
    s = show(s, d('b'));
    s = fillAhead(s, [d('c'), d('a')]);
    expect(names(s)).toEqual(['a', 'b', 'c']);
    expect(s.on).toBe(1);
  });

  it('never touches the frame shown, nor goes over the most frames', () => {
    let s = show(EMPTY, d('a'));
    s = fillAhead(s, [d('a'), d('b'), d('c'), d('e')]);
    expect(names(s)).toEqual(['a', 'b', 'c']);
    expect(s.docs.length).toBe(MAX_FRAMES);
    expect(s.on).toBe(0);
  });

  it('returns the same slots when all the wanted bodies are in frames already', () => {
    const s = fillAhead(show(EMPTY, d('a')), [d('b')]);
    expect(fillAhead(s, [d('b')])).toBe(s);
    expect(fillAhead(s, [])).toBe(s);
  });

  it('compares documents, so the plain-text view of a mail is not mistaken for its HTML', () => {
    let s = show(EMPTY, { doc: 'html doc', html: true });
    s = show(s, { doc: 'text doc', html: false });
    expect(s.docs).toEqual([{ doc: 'text doc', html: false }]);
  });
});
