// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Diagnostics } from '../../../../shared/api.ts';
import { clipboard, installDom } from '../../testing/dom.ts';
import { FakeClient } from '../../testing/fake-client.ts';
import { diagnostics } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { DiagnosticsView } from './DiagnosticsView.tsx';

installDom();

/** The desktop app whose login shell timed out: one PATH folder missing, `uvicorn` not found. */
function desktopTrouble(): Diagnostics {
  return diagnostics({
    runtime: { host: 'desktop', node: '22.20.0', electron: '38.2.0', platform: 'darwin', arch: 'arm64', pid: 4321, startedAt: 0 },
    path: {
      value: '/usr/bin:/opt/homebrew/bin:/bin',
      entries: [
        { dir: '/usr/bin', exists: true },
        { dir: '/opt/homebrew/bin', exists: false },
        { dir: '/bin', exists: true },
      ],
      source: 'inherited',
      shell: '/bin/zsh',
      durationMs: 5000,
      problem: '/bin/zsh -ilc did not answer within 5 s',
    },
    commands: [
      { app: 'api', command: 'node', resolved: '/usr/bin/node' },
      { app: 'worker', command: 'uvicorn', resolved: null },
    ],
  });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

describe('DiagnosticsView', () => {
  it('asks for the diagnostics on open and shows the runtime, the PATH entries in order and where commands resolve', async () => {
    const { client } = renderView(<DiagnosticsView />);
    const runtime = await screen.findByTestId('diagnostics-runtime');
    expect(client.callsTo('diagnostics')).toEqual([[]]);
    expect(runtime.getAttribute('data-host')).toBe('cli');
    expect(runtime.textContent).toContain('Node 24.21.0');
    expect(runtime.textContent).toContain('darwin arm64');
    expect(runtime.textContent).toContain('pid 1000');
    expect(runtime.textContent).not.toContain('Electron');
    expect(screen.getByTestId('path-source').textContent).toBe('Inherited from the terminal that started Switchyard');
    expect(screen.queryByTestId('path-problem')).toBeNull();
    const entries = screen.getAllByTestId('path-entry');
    expect(entries.map((row) => within(row).getAllByRole('cell')[1]!.textContent)).toEqual(['/opt/homebrew/bin', '/usr/bin', '/bin']);
    expect(entries.every((row) => row.getAttribute('data-exists') === 'true')).toBe(true);
    const api = screen.getByTestId('command-api');
    expect(api.getAttribute('data-resolved')).toBe('true');
    expect(api.textContent).toContain('/opt/homebrew/bin/node');
    expect(screen.queryByTestId('commands-hint')).toBeNull();
  });

  it('marks a missing folder, highlights a command not found with the hint, and warns of the PATH problem', async () => {
    const client = new FakeClient();
    client.respond('diagnostics', desktopTrouble);
    renderView(<DiagnosticsView />, { client });
    const runtime = await screen.findByTestId('diagnostics-runtime');
    expect(runtime.textContent).toContain('Desktop app');
    expect(runtime.textContent).toContain('Electron 38.2.0');
    expect(screen.getByTestId('path-problem').textContent).toContain('/bin/zsh -ilc did not answer within 5 s');
    expect(screen.getByTestId('path-problem').getAttribute('role')).toBe('alert');
    expect(screen.getByTestId('path-source').textContent).toBe('Inherited by the desktop app, not read from your login shell');
    const entries = screen.getAllByTestId('path-entry');
    expect(entries.map((row) => row.getAttribute('data-exists'))).toEqual(['true', 'false', 'true']);
    expect(entries[1]!.className).toBe('path-missing');
    expect(within(entries[1]!).getByText('missing')).toBeTruthy();
    expect(screen.getByText('1 missing')).toBeTruthy();
    const worker = screen.getByTestId('command-worker');
    expect(worker.getAttribute('data-resolved')).toBe('false');
    expect(worker.className).toBe('command-missing');
    expect(worker.textContent).toContain('not found on PATH');
    expect(screen.getByTestId('command-api').getAttribute('data-resolved')).toBe('true');
    expect(screen.getByTestId('commands-hint').textContent).toContain("start Switchyard from a terminal, or set the command's full path in switchyard.yaml");
  });

  it('says where a login shell PATH came from and how long it took', async () => {
    const client = new FakeClient();
    client.respond('diagnostics', () => diagnostics({ path: { ...diagnostics().path, source: 'login-shell', shell: '/bin/zsh', durationMs: 84 } }));
    renderView(<DiagnosticsView />, { client });
    expect((await screen.findByTestId('path-source')).textContent).toBe('Read from your login shell /bin/zsh in 84 ms');
    expect(screen.getByTestId('path-source').getAttribute('data-source')).toBe('login-shell');
  });

  it('tells a program written as a path that is missing from one not on PATH', async () => {
    const client = new FakeClient();
    client.respond('diagnostics', () => diagnostics({ commands: [{ app: 'py', command: './venv/bin/python', resolved: null }] }));
    renderView(<DiagnosticsView />, { client });
    expect((await screen.findByTestId('command-py')).textContent).toContain('not found or not executable');
    expect(screen.getByTestId('commands-path-hint')).toBeTruthy();
    expect(screen.queryByTestId('commands-hint')).toBeNull();
  });

  it('shows the loading state until the answer, and fetches again on Refresh', async () => {
    const client = new FakeClient();
    const first = deferred<Diagnostics>();
    client.respond('diagnostics', () => first.promise);
    renderView(<DiagnosticsView />, { client });
    expect(screen.getByTestId('diagnostics-loading')).toBeTruthy();
    expect(screen.getByTestId('diagnostics-refresh').hasAttribute('disabled')).toBe(true);
    await act(async () => first.resolve(diagnostics()));
    expect(screen.queryByTestId('diagnostics-loading')).toBeNull();
    expect(screen.getAllByTestId('path-entry')).toHaveLength(3);

    client.respond('diagnostics', desktopTrouble);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Refresh diagnostics' })));
    expect(client.callsTo('diagnostics')).toHaveLength(2);
    expect(screen.getByTestId('command-worker').getAttribute('data-resolved')).toBe('false');
    expect(screen.getByTestId('path-problem')).toBeTruthy();
  });

  it('shows a failure, keeps the last answer beside it, and clears it when a refresh succeeds', async () => {
    const client = new FakeClient();
    client.respond('diagnostics', () => Promise.reject(new Error('the connection to Switchyard closed')));
    renderView(<DiagnosticsView />, { client });
    expect((await screen.findByTestId('diagnostics-error')).textContent).toContain('the connection to Switchyard closed');
    expect(screen.queryByTestId('diagnostics-loading')).toBeNull();
    expect(screen.queryByTestId('path-entries')).toBeNull();

    client.respond('diagnostics', () => diagnostics());
    await act(async () => fireEvent.click(screen.getByTestId('diagnostics-refresh')));
    expect(screen.queryByTestId('diagnostics-error')).toBeNull();
    expect(screen.getByTestId('path-entries')).toBeTruthy();

    client.respond('diagnostics', () => Promise.reject(new Error('gone again')));
    await act(async () => fireEvent.click(screen.getByTestId('diagnostics-refresh')));
    expect(screen.getByTestId('diagnostics-error').textContent).toContain('gone again');
    expect(screen.getByTestId('path-entries')).toBeTruthy();
  });

  it('copies the PATH', async () => {
    renderView(<DiagnosticsView />);
    const copy = await screen.findByRole('button', { name: 'Copy PATH' });
    await act(async () => fireEvent.click(copy));
    expect(clipboard.text).toBe('/opt/homebrew/bin:/usr/bin:/bin');
  });

  it("names the builtin engine, and shows nginx's version and its generated nginx.conf, read-only, with a copy", async () => {
    const { unmount } = renderView(<DiagnosticsView />);
    expect((await screen.findByTestId('proxy-engine')).textContent).toBe("Switchyard's builtin proxy");
    expect(screen.queryByTestId('nginx-conf')).toBeNull();
    unmount();

    const client = new FakeClient();
    const text = 'daemon off;\nworker_processes 1;\n';
    const file = '/srv/shop/.switchyard/nginx/nginx.conf';
    client.respond('diagnostics', () => diagnostics({ proxy: { engine: 'nginx', program: 'nginx 1.22.1, /usr/sbin/nginx', config: { file, text } } }));
    renderView(<DiagnosticsView />, { client });
    const engine = await screen.findByTestId('proxy-engine');
    expect(engine.getAttribute('data-engine')).toBe('nginx');
    expect(engine.textContent).toBe('nginx (nginx 1.22.1, /usr/sbin/nginx)');
    const conf = screen.getByTestId('nginx-conf');
    expect(within(conf).getByText(file)).toBeTruthy();
    expect(conf.querySelector('pre')?.textContent).toBe(text);
    expect(conf.querySelector('textarea, input')).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy nginx.conf' })));
    expect(clipboard.text).toBe(text);
  });
});
