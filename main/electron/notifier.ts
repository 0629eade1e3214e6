// Notices as system notifications: each one is held until dismissed, or its click handler could be
// collected with it.

import { Notification } from 'electron';
import type { Notice } from '../core/host/tray-presenter.ts';

/** Shows notices; clicking one calls `onClick` (the shell shows its window). */
export class Notifier {
  private readonly onClick: () => void;
  private readonly shown = new Set<Notification>();

  constructor(onClick: () => void) {
    this.onClick = onClick;
  }

  show(notice: Notice): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: notice.title, body: notice.body });
    this.shown.add(notification);
    const release = () => this.shown.delete(notification);
    notification.on('click', () => {
      release();
      this.onClick();
    });
    notification.on('close', release);
    notification.show();
  }
}
