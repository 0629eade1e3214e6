// Which engine runs the proxy: Switchyard's own, or the system's nginx with the configuration
// generated for it, shown read-only (it is rewritten on every change of the stack file or its members).

import type { ProxyEngineInfo } from '../../../../shared/api.ts';
import { useActions } from '../../app/context.ts';
import { copyText } from '../../ui/clipboard.ts';

const ENGINE_LABEL: Record<ProxyEngineInfo['engine'], string> = {
  builtin: "Switchyard's builtin proxy",
  nginx: 'nginx',
};

export function ProxyPanel(props: { proxy: ProxyEngineInfo }) {
  const { proxy } = props;
  const { run, notify } = useActions();
  const config = proxy.config;
  const copy = () => (config ? run('Copy nginx.conf', () => copyText(config.text)).then(() => notify('nginx.conf copied')) : Promise.resolve());
  return (
    <section className="panel" aria-label="Proxy engine">
      <header className="panel-header">
        <h3>Proxy engine</h3>
        <span className="dim mono" data-testid="proxy-engine" data-engine={proxy.engine}>
          {ENGINE_LABEL[proxy.engine]}
          {proxy.program !== null && ` (${proxy.program})`}
        </span>
        <span className="spacer" />
        {config && (
          <button type="button" aria-label="Copy nginx.conf" data-testid="nginx-conf-copy" onClick={() => void copy()}>
            Copy
          </button>
        )}
      </header>
      {config ? (
        <details className="nginx-conf" data-testid="nginx-conf">
          <summary className="mono">{config.file}</summary>
          <pre>{config.text}</pre>
        </details>
      ) : (
        proxy.engine === 'nginx' && (
          <div className="empty" data-testid="nginx-conf-missing">
            nginx has not been started yet: its configuration is written when it starts.
          </div>
        )
      )}
    </section>
  );
}
