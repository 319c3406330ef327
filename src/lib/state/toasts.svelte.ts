// Toasts: short messages at the bottom of the screen, some with an action (Undo). Read out by
// screen readers through an aria-live region (see Toasts.svelte).

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  action?: { label: string; run: () => void | Promise<void> };
}

class Toasts {
  items = $state<Toast[]>([]);
  private seq = 0;

  show(message: string, opts: { kind?: Toast['kind']; action?: Toast['action']; ms?: number } = {}): number {
    const id = ++this.seq;
    const toast: Toast = { id, message, kind: opts.kind ?? 'info' };
    if (opts.action) toast.action = opts.action;
    this.items = [...this.items.slice(-3), toast];
    const ms = opts.ms ?? (opts.action ? 8000 : opts.kind === 'error' ? 8000 : 4000);
    setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  error(message: string): number {
    return this.show(message, { kind: 'error' });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
