// The real desktop app under Playwright's Electron driver: it opens on a stack, the dashboard in
// its window shows every process ready over the desktop bridge, and quitting leaves no process
// behind. It needs the Electron binary (fetched from outside the npm registry, so absent here and
// in CI) and a display (Xvfb is started when there is none): without them it is skipped, saying why.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectron } from '../../main/cli/commands/app.ts';
import { ControlClient } from '../../main/core/control/control-client.ts';
import { readRunFile, runFilePath } from '../../main/core/host/run-file.ts';
import { alive, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const XVFB = '/usr/bin/Xvfb';
const binary = await findElectron(process.env, { fetch: false });
const needsDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const skipReason = !binary.ok ? binary.problem : needsDisplay && !existsSync(XVFB) ? 'no display and no Xvfb (apt-get install xvfb)' : null;
if (skipReason) console.warn(`test/electron/app.e2e.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)(`the desktop app under Electron${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const marker = newMarker();
  let dir: string;
  let xvfb: ChildProcess | null = null;
  let display = process.env.DISPLAY;
  let electronApp: ElectronApplication | null = null;

  beforeAll(async () => {
    if (needsDisplay) {
      const number = 90 + (process.pid % 9);
      display = `:${number}`;
      xvfb = spawn(XVFB, [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
      // Xvfb takes connections once its socket exists.
      await waitFor(() => existsSync(`/tmp/.X11-unix/X${number}`), `Xvfb to listen on ${display}`);
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'sy-electron-e2e-'));
    mkdirSync(path.join(dir, 'web'));
    writeFileSync(path.join(dir, 'web', 'index.html'), '<h1>desktop</h1>');
    const node = JSON.stringify(process.execPath);
    writeFileSync(
      path.join(dir, 'switchyard.yaml'),
      [
        'name: desktop-e2e',
        'proxy:',
        `  listen: ${await getPort()}`,
        '  routes: [{ path: /api/, to: api }, { path: /, to: web }]',
        'static:',
        '  web: { root: ./web }',
        'apps:',
        '  api:',
        `    command: [${node}, ${JSON.stringify(path.join(FIXTURES, 'graceful.js'))}]`,
        '    replicas: 2',
        '    health: { path: /healthz, interval: 200ms }',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await electronApp?.close().catch(() => {});
    xvfb?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the stack, shows every process ready, and quits leaving no process behind', async () => {
    if (!binary.ok) throw new Error(binary.problem);
    const stackFile = path.join(dir, 'switchyard.yaml');
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(display ? { DISPLAY: display } : {}), [marker.key]: marker.value };
    // Set in the runner's environment, it would make the binary a plain Node.
    delete env.ELECTRON_RUN_AS_NODE;
    electronApp = await _electron.launch({
      executablePath: binary.path,
      // Chromium refuses to run as root with its sandbox on; only this test's root CI needs the switch.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), REPO, stackFile],
      env,
      timeout: 60_000,
    });
    const page = await electronApp.firstWindow();
    await page.locator('tr[data-process="api-2"][data-state="ready"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-process][data-state="ready"]').count()).toBe(4);
    // The page talks over the bridge: no socket, no token.
    expect(await page.evaluate(() => typeof (globalThis as { switchyard?: unknown }).switchyard)).toBe('object');
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    await page.screenshot({ path: path.join(REPO, 'test-results', 'e2e', 'desktop-app.png') });

    const run = readRunFile(runFilePath(stackFile));
    expect(run).not.toBeNull();
    const pids = (await new ControlClient(run!).listProcesses()).map((p) => p.pid!);
    expect(pids).toHaveLength(4);

    await electronApp.close();
    electronApp = null;
    await waitFor(() => pids.every((pid) => !alive(pid)), 'every process to be gone', { timeout: 20_000 });
    expect(processesWithMarker(marker)).toEqual([]);
    expect(existsSync(runFilePath(stackFile))).toBe(false);
  });
});
