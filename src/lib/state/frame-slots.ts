// Which of the reading pane's body frames shows which document (BodyFrame.svelte). A frame is a
// sandboxed `<iframe srcdoc>`: giving it a new document is a navigation (the browser process,
// the frame's own renderer, a parse and a layout), tens of milliseconds before the body shows.
// So the bodies j and k would open next are put into hidden frames ahead of time, and opening
// one of them only shows its frame. Frames keep their place in the page (moving an iframe in
// the DOM reloads it): slots are filled and reused by index, never reordered.

export interface FrameDoc {
  /** the srcdoc */
  doc: string;
  /** an HTML mail (else the plain-text view) */
  html: boolean;
}

export interface Slots {
  /** each frame's document, by the frame's place */
  docs: FrameDoc[];
  /** whether each frame has finished loading its document (until then it still shows the one
   * it had before, another message's) */
  ready: boolean[];
  /** the frame shown */
  on: number;
}

export const EMPTY: Slots = { docs: [], ready: [], on: 0 };

/** At most this many frames: the one shown and the two neighbours (j and k). */
export const MAX_FRAMES = 3;

/**
 * Shows `next`: in a frame that has it loaded already (rendered ahead), else in the frame shown
 * now, which loads it (what a single frame would do: its old body stays until the new one is
 * in, rather than a hidden frame still showing another message).
 */
export function show(s: Slots, next: FrameDoc): Slots {
  if (s.docs[s.on]?.doc === next.doc) return s;
  const i = s.docs.findIndex((d, j) => d.doc === next.doc && s.ready[j]);
  if (i >= 0) return { ...s, on: i };
  if (!s.docs.length) return { docs: [next], ready: [false], on: 0 };
  return { docs: put(s.docs, s.on, next), ready: put(s.ready, s.on, false), on: s.on };
}

/** The frame at `i` has finished loading `doc` (its load event). */
export function loaded(s: Slots, i: number, doc: string): Slots {
  if (s.docs[i]?.doc !== doc || s.ready[i]) return s;
  return { ...s, ready: put(s.ready, i, true) };
}

/**
 * Puts the wanted documents (the neighbours' bodies, nearest first) into frames not shown:
 * frames holding an unwanted document are reused first, then new ones are added up to
 * MAX_FRAMES. The shown frame is never touched. Returns `s` itself when nothing changes.
 */
export function fillAhead(s: Slots, wanted: FrameDoc[]): Slots {
  const want = wanted.filter((w) => w.doc !== s.docs[s.on]?.doc).slice(0, MAX_FRAMES - 1);
  const missing = want.filter((w) => !s.docs.some((d) => d.doc === w.doc));
  if (!missing.length || !s.docs.length) return s;
  const docs = s.docs.slice();
  const ready = s.ready.slice();
  for (const w of missing) {
    const free = docs.findIndex((d, i) => i !== s.on && !want.some((x) => x.doc === d.doc));
    if (free >= 0) {
      docs[free] = w;
      ready[free] = false;
    } else if (docs.length < MAX_FRAMES) {
      docs.push(w);
      ready.push(false);
    }
  }
  return { docs, ready, on: s.on };
}

const put = <T>(xs: T[], i: number, x: T): T[] => xs.map((y, j) => (j === i ? x : y));
