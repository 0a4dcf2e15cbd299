/** Error and success notices: a tiny module-level list the Toasts component renders (no state library). */
export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<(list: Toast[]) => void>();

function emit(): void {
  for (const listener of listeners) listener(toasts);
}

export function showToast(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000): void {
  const toast = { id: nextId++, text, kind };
  toasts = [...toasts.slice(-4), toast];
  emit();
  setTimeout(() => dismissToast(toast.id), ms);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function subscribeToasts(listener: (list: Toast[]) => void): () => void {
  listeners.add(listener);
  listener(toasts);
  return () => listeners.delete(listener);
}
