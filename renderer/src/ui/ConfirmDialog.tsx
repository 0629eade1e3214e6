// Asks before a destructive action, offering a gentler one where there is one. Cancel has the focus,
// so a stray Enter never kills anything.

import { useEffect, useId, useRef } from 'react';
import type { Confirmation } from '../app/context.ts';

export function ConfirmDialog(props: { confirmation: Confirmation; onAnswer: (yes: boolean) => void }) {
  const { confirmation, onAnswer } = props;
  const titleId = useId();
  const bodyId = useId();
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancel.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        onAnswer(false);
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onAnswer]);

  return (
    <div className="overlay" onMouseDown={(event) => event.target === event.currentTarget && onAnswer(false)}>
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId} data-testid="confirm-dialog">
        <h2 id={titleId}>{confirmation.title}</h2>
        <p id={bodyId}>{confirmation.body}</p>
        <div className="dialog-buttons">
          <button ref={cancel} type="button" onClick={() => onAnswer(false)}>
            Cancel
          </button>
          {confirmation.alternative && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                onAnswer(false);
                confirmation.alternative?.choose();
              }}
              data-testid="confirm-alternative"
            >
              {confirmation.alternative.label}
            </button>
          )}
          <button type="button" className="danger" onClick={() => onAnswer(true)} data-testid="confirm-action">
            {confirmation.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
