// A real temporary folder holding a stack file and whatever files it refers to.
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A temp folder; `write` adds files (folders are created), `remove` deletes it all. */
export interface StackDir {
  dir: string;
  /** Writes `text` to `relative`; returns the absolute path. */
  write(relative: string, text: string, options?: { executable?: boolean }): Promise<string>;
  /** Creates a folder; returns the absolute path. */
  folder(relative: string): Promise<string>;
  remove(): Promise<void>;
}

/** Makes a fresh folder under the system temp dir. */
export async function makeStackDir(): Promise<StackDir> {
  // realpath: on macOS the temp dir is a symlink, and specs hold resolved paths.
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'switchyard-config-')));
  return {
    dir,
    async write(relative, text, options = {}) {
      const file = path.join(dir, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      if (options.executable) await chmod(file, 0o755);
      return file;
    },
    async folder(relative) {
      const folder = path.join(dir, relative);
      await mkdir(folder, { recursive: true });
      return folder;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Lines joined with newlines, so a test's YAML can be read with its line numbers in mind. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
