// Results and failures of actions, in the corner; errors stay longer and are announced.

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  message: string;
}

export function Toasts(props: { toasts: readonly Toast[]; onDismiss: (id: number) => void }) {
  return (
    <div className="toasts" aria-live="polite">
      {props.toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${toast.kind}`}>
          <span className="toast-message">{toast.message}</span>
          <button type="button" className="icon" aria-label="Dismiss" onClick={() => props.onDismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
