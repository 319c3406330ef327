// Which messages of the list are selected (checkboxes, x, shift-click ranges, select all).
import { SvelteSet } from 'svelte/reactivity';

export class Selection {
  readonly ids = new SvelteSet<string>();
  /** where a shift-click range starts */
  anchor: string | null = null;

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  toggle(id: string): void {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = id;
  }

  /** Selects every id between the anchor and `id` (inclusive) in the list's order. */
  range(id: string, order: string[]): void {
    const a = this.anchor ? order.indexOf(this.anchor) : -1;
    const b = order.indexOf(id);
    if (a < 0 || b < 0) return this.toggle(id);
    const [from, to] = a < b ? [a, b] : [b, a];
    for (let i = from; i <= to; i++) this.ids.add(order[i] as string);
  }

  set(ids: Iterable<string>): void {
    this.ids.clear();
    for (const id of ids) this.ids.add(id);
  }

  /** Drops ids no longer in the list. */
  retain(present: Set<string>): void {
    for (const id of [...this.ids]) if (!present.has(id)) this.ids.delete(id);
  }

  clear(): void {
    this.ids.clear();
    this.anchor = null;
  }
}
