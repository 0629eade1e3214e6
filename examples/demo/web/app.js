// The demo page's behaviour. No framework and no build step: what you see here is what the browser runs.
// Lint checks this file with Node's globals; these are the browser-only ones it uses.
/* global document, EventSource */

const $ = (id) => document.getElementById(id);

/** Builds an element; children are text or elements, so data from the API is never parsed as HTML. */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function show(output, state, ...children) {
  output.dataset.state = state;
  output.replaceChildren(...children);
}

const label = (who) => (who.worker == null ? 'standalone' : `${who.app}-${who.worker}`);

class ApiError extends Error {}

/** Calls the API through the page's own origin and turns every failure into a sentence for a person. */
async function api(path, options) {
  let res;
  try {
    res = await fetch(path, options);
  } catch {
    setStatus('error', 'API not reachable');
    throw new ApiError('The API is not reachable yet. Is `switchyard up` running? The workers may still be starting.');
  }
  const text = await res.text();
  if (res.status >= 502 && res.status <= 504) {
    setStatus('warn', 'no worker ready');
    throw new ApiError(`The proxy answered ${res.status}: no api worker is ready right now (starting, restarting or crashed). Try again in a moment.`);
  }
  if (!res.ok) {
    let detail = text.slice(0, 200);
    try {
      detail = JSON.parse(text).error ?? detail;
    } catch {
      // Not JSON: show the text as it came.
    }
    throw new ApiError(`HTTP ${res.status}: ${detail}`);
  }
  setStatus('ok', 'API up');
  return { res, text, json: () => JSON.parse(text) };
}

// --- API status: checked on load, then again every few seconds only while it is down.
let statusTimer = null;

function setStatus(state, text) {
  const pill = $('api-status');
  pill.dataset.state = state;
  pill.textContent = text;
  if (state !== 'ok' && !statusTimer) statusTimer = setTimeout(checkStatus, 3000);
}

async function checkStatus() {
  statusTimer = null;
  try {
    await api('/api/whoami');
  } catch {
    // setStatus has already said why and scheduled the next check.
  }
}

// --- Who answered?
async function whoami() {
  const out = $('whoami-out');
  show(out, 'loading', 'asking…');
  try {
    const who = (await api('/api/whoami')).json();
    show(out, 'ok', el('span', { className: 'worker' }, label(who)), ` answered — pid ${who.pid}, port ${who.port}, up ${who.uptime}s`);
  } catch (err) {
    show(out, 'error', err.message);
  }
}

async function burst() {
  const out = $('whoami-out');
  const button = $('burst-btn');
  button.disabled = true;
  show(out, 'loading', 'sending 20 requests…');
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => api('/api/whoami').then((r) => r.json())));
  button.disabled = false;

  const tally = new Map();
  const failures = results.filter((r) => r.status === 'rejected');
  for (const r of results) {
    if (r.status === 'fulfilled') tally.set(label(r.value), (tally.get(label(r.value)) ?? 0) + 1);
  }
  const most = Math.max(1, ...tally.values());
  const rows = [...tally].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
  $('tally').replaceChildren(
    ...rows.map(([name, count]) =>
      el('li', {}, el('span', { className: 'worker' }, name), el('div', { className: 'bar', style: `width:${(count / most) * 100}%` }), el('span', { className: 'count' }, String(count))),
    ),
  );
  if (failures.length === 0) show(out, 'ok', `20 answers from ${tally.size} worker${tally.size === 1 ? '' : 's'}:`);
  else show(out, 'error', `${failures.length} of 20 failed: ${failures[0].reason.message}`);
}

// --- Echo
async function echo(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const out = $('echo-out');
  show(out, 'loading', 'sending…');
  try {
    const { res, text } = await api('/api/echo', {
      method: 'POST',
      headers: { 'content-type': form.elements.type.value },
      body: form.elements.body.value,
    });
    show(out, 'ok', `200, content-type: ${res.headers.get('content-type')}`, el('pre', {}, text || '(empty body)'));
  } catch (err) {
    show(out, 'error', err.message);
  }
}

// --- Slow request, with a running clock so a long wait never looks like a frozen page
async function slow(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const ms = Math.min(60000, Math.max(0, Number(form.elements.ms.value) || 0));
  const button = form.querySelector('button');
  const out = $('slow-out');
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const clock = setInterval(() => show(out, 'loading', `waiting for ${ms} ms… ${elapsed()} ms so far`), 100);
  button.disabled = true;
  show(out, 'loading', `waiting for ${ms} ms…`);
  try {
    const result = (await api(`/api/slow?ms=${ms}`)).json();
    show(out, 'ok', el('span', { className: 'worker' }, label({ app: 'api', ...result })), ` answered after ${result.waited} ms (round trip ${elapsed()} ms)`);
  } catch (err) {
    show(out, 'error', err.message);
  } finally {
    clearInterval(clock);
    button.disabled = false;
  }
}

// --- Crash a worker
async function crash() {
  const out = $('crash-out');
  show(out, 'loading', 'asking a worker to crash…');
  try {
    const result = (await api('/api/crash')).json();
    show(
      out,
      'ok',
      el('span', { className: 'worker' }, label({ app: 'api', ...result })),
      ` (pid ${result.pid}) is exiting with code 1. The others keep answering; ask “Who answered?” in a moment to see it back with a new pid.`,
    );
  } catch (err) {
    show(out, 'error', err.message);
  }
}

// --- Live events
let source = null;

function addEvent(text, note = false) {
  const list = $('events');
  list.prepend(el('li', { className: note ? 'note' : '' }, text));
  while (list.children.length > 50) list.lastChild.remove();
}

function setEventsState(state, text) {
  const pill = $('events-state');
  pill.dataset.state = state;
  pill.textContent = text;
  $('events-btn').textContent = source ? 'Disconnect' : 'Connect';
}

function toggleEvents() {
  if (source) {
    source.close();
    source = null;
    addEvent('disconnected', true);
    return setEventsState('idle', 'not connected');
  }
  source = new EventSource('/api/events');
  setEventsState('warn', 'connecting…');
  source.onopen = () => {
    setEventsState('ok', 'live');
    addEvent('connected', true);
  };
  source.addEventListener('tick', (event) => {
    const tick = JSON.parse(event.data);
    addEvent(`${new Date(tick.time).toLocaleTimeString()}  api-${tick.worker}  #${tick.count}`);
  });
  source.addEventListener('bye', () => addEvent('that worker is shutting down; reconnecting to another one…', true));
  source.onerror = () => {
    // EventSource retries by itself after a dropped stream, but gives up when the proxy answers an error.
    if (source.readyState === EventSource.CONNECTING) return setEventsState('warn', 'reconnecting…');
    source = null;
    addEvent('could not connect: the API is not reachable. Press Connect to try again.', true);
    setEventsState('error', 'disconnected');
  };
}

$('whoami-btn').addEventListener('click', whoami);
$('burst-btn').addEventListener('click', burst);
$('echo-form').addEventListener('submit', echo);
$('slow-form').addEventListener('submit', slow);
$('crash-btn').addEventListener('click', crash);
$('events-btn').addEventListener('click', toggleEvents);
$('events-clear').addEventListener('click', () => $('events').replaceChildren());
checkStatus();
