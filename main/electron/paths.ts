// Where the shell finds what it loads. The same relative layout holds in a checkout and in a packaged
// app (resources/app.asar), because electron-builder packs the project's folders as they are.

import { fileURLToPath } from 'node:url';

const from = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The built dashboard (`npm run build`). */
export const RENDERER_DIR = from('../../renderer/dist/');
/** The built preload script (`npm run build`): the sandbox needs one CommonJS file. */
export const PRELOAD_FILE = from('../../dist/electron/preload.cjs');
/** Tray icons, one per stack state. */
export const ASSETS_DIR = from('./assets/');
