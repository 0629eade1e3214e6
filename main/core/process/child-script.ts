// Where a script that runs as a process of its own lives on disk. In the packaged desktop app this
// code is read from resources/app.asar, which only Electron's own fs can see into; a separate
// process is started on a real file, so its script (and everything it imports) is unpacked next
// to the archive, in app.asar.unpacked (electron-builder.yml's asarUnpack).

import { fileURLToPath } from 'node:url';

/** An `app.asar` path segment, between separators of either kind or at the end. */
const ASAR_SEGMENT = /([\\/])app\.asar(?=[\\/]|$)/;

/** The file `relative` to `base` (a module's import.meta.url), outside the asar archive. */
export function childScript(relative: string, base: string): string {
  return unpackedPath(fileURLToPath(new URL(relative, base)));
}

/** `file` with an `app.asar` segment replaced by `app.asar.unpacked`; other paths unchanged. */
export function unpackedPath(file: string): string {
  return file.replace(ASAR_SEGMENT, '$1app.asar.unpacked');
}
