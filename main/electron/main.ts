// The desktop app's entry point (package.json "main"): one instance per user; a second launch
// hands its arguments to the first and exits.

import { app, dialog } from 'electron';
import { setUnexpectedErrorHandler } from '../core/events.ts';
import { registerAppScheme } from './app-protocol.ts';
import { DesktopApp } from './desktop-app.ts';

registerAppScheme();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  setUnexpectedErrorHandler((error) => console.error('a listener failed:', error));
  // An error in the shell is logged; the stack keeps running, and the watchdog covers a real crash.
  process.on('uncaughtException', (error) => console.error('internal error:', error));
  process.on('unhandledRejection', (error) => console.error('internal error:', error));
  // Ctrl-C in the terminal that started the app (or the launcher passing it on) quits gracefully; a second one kills.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => app.quit());
  new DesktopApp({ argv: process.argv }).run().catch((error: unknown) => {
    // Without a stack or a window the app would linger unseen: say so and end.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error('switchyard could not start:', message);
    dialog.showErrorBox('Switchyard could not start', message);
    app.exit(1);
  });
}
