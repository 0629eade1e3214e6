// The shell's dialogs: error messages, and what it asks while no stack runs (open one, or start a
// new one from the demo, until one runs or the person quits). None is synchronous (not
// `dialog.showErrorBox`): that would hold the main process, and with it the running stack's logs,
// health checks and control API.

import { dialog } from 'electron';
import { createStackFromTemplate, DEMO_TEMPLATE_DIR } from '../core/projects/projects.ts';

/** Shows an error the person should read; does not wait for it to be dismissed. */
export function showError(title: string, detail: string): void {
  void dialog.showMessageBox({ type: 'error', title, message: title, detail, buttons: ['OK'] });
}

/** Asks what to open when no stack runs. */
async function askWhatToOpen(): Promise<'open' | 'demo' | 'quit'> {
  const { response } = await dialog.showMessageBox({
    type: 'question',
    title: 'Switchyard',
    message: 'Open a stack to run',
    detail: 'Choose a folder with a switchyard.yaml, or start a new stack from the demo (a static site and four API workers behind a proxy).',
    buttons: ['Open Stack…', 'New Stack from Demo…', 'Quit'],
    defaultId: 0,
    cancelId: 2,
  });
  return response === 0 ? 'open' : response === 1 ? 'demo' : 'quit';
}

/** A stack file (or, on macOS, a folder) to open; null when cancelled. */
async function chooseStackPath(platform: NodeJS.Platform): Promise<string | null> {
  const result = await dialog.showOpenDialog({
    title: 'Open Stack',
    buttonLabel: 'Open',
    // Windows and Linux cannot offer files and folders in one dialog: there, the stack file is picked.
    properties: platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openFile'],
    filters: [{ name: 'Stack files', extensions: ['yaml', 'yml'] }],
  });
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

/** An empty folder for a new stack from the demo; null when cancelled. */
async function chooseDemoFolder(): Promise<string | null> {
  const result = await dialog.showOpenDialog({
    title: 'New Stack from Demo: choose an empty folder',
    buttonLabel: 'Create Here',
    properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
  });
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

/** What the welcome needs from the shell. */
export interface WelcomeShell {
  platform: NodeJS.Platform;
  /** A stack is open: nothing to ask. */
  hasStack(): boolean;
  /** The app takes opens (it is not quitting). */
  accepting(): boolean;
  /** Opens a stack file or folder; true when it runs. */
  open(target: string): Promise<boolean>;
  quit(): void;
}

/** What the app asks while no stack runs. */
export class Welcome {
  private readonly shell: WelcomeShell;
  private asking: Promise<void> | null = null;

  constructor(shell: WelcomeShell) {
    this.shell = shell;
  }

  /** Offers to open a stack or start from the demo, until one runs or the person quits. One at a time. */
  ask(): Promise<void> {
    this.asking ??= this.askUntilOpen().finally(() => (this.asking = null));
    return this.asking;
  }

  /** Opens the stack the person chooses; false when cancelled or it does not run. */
  async chooseStack(): Promise<boolean> {
    const chosen = await chooseStackPath(this.shell.platform);
    return chosen !== null && (await this.shell.open(chosen));
  }

  /** Copies the demo into the folder the person chooses and opens it. */
  async newStackFromDemo(): Promise<boolean> {
    const target = await chooseDemoFolder();
    if (target === null) return false;
    try {
      return await this.shell.open(await createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: target }));
    } catch (error) {
      showError('Could not create the stack', (error as Error).message);
      return false;
    }
  }

  private async askUntilOpen(): Promise<void> {
    while (!this.shell.hasStack() && this.shell.accepting()) {
      const answer = await askWhatToOpen();
      if (answer === 'quit') {
        this.shell.quit();
        return;
      }
      // A stack opened meanwhile (a second launch, the Dock) answers the question too.
      if (this.shell.hasStack()) return;
      if (answer === 'open') await this.chooseStack();
      else await this.newStackFromDemo();
    }
  }
}
