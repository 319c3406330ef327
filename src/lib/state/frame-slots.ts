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
  /** the frame shown */
  on: number;
}

/** At most this many frames: the one shown and the two neighbours (j and k). */
export const MAX_FRAMES = 3;

/**
 * Shows `next`: in the frame that holds it already (rendered ahead), else in the frame shown
 * now, which loads it (what a single frame would do).
 */
export function show(s: Slots, next: FrameDoc): Slots {
  const i = s.docs.findIndex((d) => d.doc === next.doc);
  if (i >= 0) return i === s.on ? s : { docs: s.docs, on: i };
  if (!s.docs.length) return { docs: [next], on: 0 };
  const docs = s.docs.slice();
  docs[s.on] = next;
  return { docs, on: s.on };
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
  for (const w of missing) {
    const free = docs.findIndex((d, i) => i !== s.on && !want.some((x) => x.doc === d.doc));
    if (free >= 0) docs[free] = w;
    else if (docs.length < MAX_FRAMES) docs.push(w);
  }
  return { docs, on: s.on };
}
