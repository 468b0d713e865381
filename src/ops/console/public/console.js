// The admin console: a page over the app's own admin API, polled every second. No build step,
// no framework; uPlot draws the charts. Every value from the server goes in as text.
'use strict';

const TOKEN = 'peak-checkout.admin-token';
const FIGURES_EVERY_MS = 1000;
const LISTS_EVERY_MS = 3000;
const ANSWER_WITHIN_MS = 2500;
const CHART_SECONDS = 600;

const $ = (selector) => document.querySelector(selector);

/** Thrown for an answer that is not 2xx; `status` 0 means no answer at all. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN) ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
  } catch (error) {
    throw new ApiError(0, error.name === 'TimeoutError' ? 'no answer in time' : 'no answer');
  }
  const text = await response.text();
  const answer = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = Array.isArray(answer?.message) ? answer.message.join('; ') : answer?.message;
    throw new ApiError(response.status, message ?? `HTTP ${response.status}`);
  }
  return answer;
}

// ---- Formatting ----------------------------------------------------------------------------

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const rate = (value) => (value < 10 ? oneDecimal : whole).format(value);
const ms = (value) => (value === null || value === undefined ? '–' : `${whole.format(value)} ms`);
const clock = (date) => new Date(date).toLocaleTimeString('en-GB');

function show(id, text, attention = false) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle('attention', attention);
}

function message(id, text, failed = false) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle('error', failed);
}

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  return td;
}

function fillTable(selector, items, columns, emptyText) {
  const body = $(`${selector} tbody`);
  body.replaceChildren();
  if (items.length === 0) {
    const td = cell(body.insertRow(), emptyText);
    td.colSpan = columns;
    td.className = 'empty';
    return [];
  }
  return items.map(() => body.insertRow());
}

function button(label, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'small';
  element.textContent = label;
  element.addEventListener('click', () => {
    element.disabled = true;
    onClick().finally(() => (element.disabled = false));
  });
  return element;
}

// ---- Link state: app and Kafka -------------------------------------------------------------

const link = { lastAnswerAt: null, appError: null, kafka: null, outbox: 0 };

function renderLink() {
  const alerts = [];
  const pill = $('#link');
  if (link.appError) {
    const since = link.lastAnswerAt ? ` since ${clock(link.lastAnswerAt)}` : '';
    alerts.push([
      'down',
      `The app is unreachable${since} (${link.appError}). The figures shown are the last known.`,
    ]);
    pill.textContent = 'app unreachable';
    pill.className = 'pill down';
  } else if (link.kafka?.configured && !link.kafka.reachable) {
    alerts.push([
      'degraded',
      `Kafka is unreachable (${link.kafka.error ?? 'no answer'}). Orders accepted in async mode ` +
        `wait in the outbox (${whole.format(link.outbox)}) and go out when it is back.`,
    ]);
    pill.textContent = 'Kafka unreachable';
    pill.className = 'pill degraded';
  } else {
    pill.textContent = `live · ${clock(link.lastAnswerAt ?? Date.now())}`;
    pill.className = 'pill live';
  }
  $('#alerts').replaceChildren(
    ...alerts.map(([kind, text]) => {
      const element = document.createElement('div');
      element.className = `alert ${kind}`;
      element.textContent = text;
      return element;
    }),
  );
  $('#console').classList.toggle('stale', Boolean(link.appError));
}

/** Sends a failure where it belongs: the sign-in form, or the unreachable banner. */
function failed(error) {
  if (error.status === 401 || error.status === 503) return signOut(error.message);
  link.appError = error.status === 0 ? error.message : `HTTP ${error.status}: ${error.message}`;
  renderLink();
}

// ---- Figures and charts --------------------------------------------------------------------

const series = {
  at: [],
  accepted: [],
  completed: [],
  p95: [],
  waiting: [],
  lag: [],
  outbox: [],
};
let charts = null;

function addPoint(point) {
  const at = new Date(point.at).getTime() / 1000;
  if (series.at.length > 0 && at <= series.at[series.at.length - 1]) return;
  series.at.push(at);
  series.accepted.push(point.acceptedPerSecond);
  series.completed.push(point.completedPerSecond);
  series.p95.push(point.acceptP95Ms);
  series.waiting.push(point.waitingForPayment);
  series.lag.push(point.consumerLag);
  series.outbox.push(point.outboxBacklog);
  const excess = series.at.length - CHART_SECONDS;
  if (excess > 0) for (const values of Object.values(series)) values.splice(0, excess);
}

function chart(element, lines, axes) {
  const width = () => Math.max(280, element.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 220,
      series: [{}, ...lines],
      axes: [{ values: (_, ticks) => ticks.map((tick) => clock(tick * 1000)) }, ...axes],
      scales: { x: { time: true } },
      legend: { live: false },
    },
    [[], ...lines.map(() => [])],
    element,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: 220 })).observe(element);
  return plot;
}

function drawCharts() {
  charts ??= {
    rate: chart(
      $('#rate-chart'),
      [
        { label: 'accepted / s', stroke: '#2457d6', width: 2 },
        { label: 'completed / s', stroke: '#1a7f4b', width: 2 },
        { label: 'accept p95 (ms)', stroke: '#b25e09', dash: [4, 4], scale: 'ms' },
      ],
      [{}, { scale: 'ms', side: 1, grid: { show: false } }],
    ),
    backlog: chart(
      $('#backlog-chart'),
      [
        { label: 'waiting for payment', stroke: '#2457d6', width: 2 },
        { label: 'consumer lag', stroke: '#c0262d' },
        { label: 'outbox', stroke: '#667085' },
      ],
      [{}],
    ),
  };
  charts.rate.setData([series.at, series.accepted, series.completed, series.p95]);
  charts.backlog.setData([series.at, series.waiting, series.lag, series.outbox]);
}

/** Running / limit, and those waiting for a slot of the bulkhead; '–' with no API role. */
function syncCheckouts({ syncInUse, syncQueued, syncLimit }) {
  if (syncLimit === 0) return '–';
  const queued = syncQueued > 0 ? ` +${whole.format(syncQueued)} waiting` : '';
  return `${whole.format(syncInUse)} / ${whole.format(syncLimit)}${queued}`;
}

function renderFigures(figures) {
  show('#accepted', rate(figures.acceptedPerSecond));
  show('#completed', rate(figures.completedPerSecond));
  show('#waiting', whole.format(figures.waitingForPayment));
  show('#p95', ms(figures.acceptP95Ms));
  show(
    '#permits',
    figures.permitLimit > 0
      ? `${whole.format(figures.permitsInUse)} / ${whole.format(figures.permitLimit)}`
      : 'no worker',
    figures.permitLimit === 0 && figures.waitingForPayment > 0,
  );
  // The limit in force adapts to what the gateway bears, under the admin's ceiling per worker.
  const workers = figures.instances.filter((instance) => instance.permitLimit > 0).length;
  const ceiling = workers * figures.maxInFlight;
  show(
    '#permit-limit',
    workers > 0 ? `${whole.format(figures.permitLimit)} / ${whole.format(ceiling)}` : '–',
    workers > 0 && figures.permitLimit < ceiling,
  );
  show('#sync', syncCheckouts(figures), figures.syncQueued > 0);
  show('#circuit', figures.gatewayCircuit, figures.gatewayCircuit !== 'closed');
  const lag = figures.kafka.configured ? figures.kafka.consumerLag : null;
  show('#lag', lag === null || lag === undefined ? '–' : whole.format(lag));
  show('#outbox', whole.format(figures.outboxBacklog), figures.outboxBacklog > 0);
  show('#stuck', whole.format(figures.stuckOrders), figures.stuckOrders > 0);
  show('#dead', whole.format(figures.deadLetters), figures.deadLetters > 0);
  renderMode(figures);
  $('#limit-state').textContent =
    `Each worker holds at most ${figures.maxInFlight} authorizations (the ceiling), ` +
    `fewer while the gateway slows down; in force now: ${figures.permitLimit} ` +
    `across ${workers} worker${workers === 1 ? '' : 's'}, ${figures.permitsInUse} under way.`;
  const limit = $('#limit');
  if (document.activeElement !== limit && !limit.dataset.edited) limit.value = figures.maxInFlight;

  const rows = fillTable('#instances', figures.instances, 9, 'No instance has reported yet.');
  figures.instances.forEach((instance, i) => {
    for (const text of [
      instance.instance,
      instance.roles,
      instance.effectiveMode,
      rate(instance.acceptedPerSecond),
      rate(instance.completedPerSecond),
      ms(instance.acceptP95Ms),
      instance.permitLimit > 0
        ? `${instance.permitsInUse} / ${instance.permitLimit} / ${figures.maxInFlight}`
        : '–',
      syncCheckouts(instance),
      instance.gatewayCircuit,
    ]) {
      cell(rows[i], text);
    }
  });

  addPoint({ ...figures, consumerLag: lag ?? null });
  drawCharts();
}

async function pollFigures() {
  try {
    const figures = await call('GET', '/admin/figures');
    link.lastAnswerAt = Date.now();
    link.appError = null;
    link.kafka = figures.kafka;
    link.outbox = figures.outboxBacklog;
    renderFigures(figures);
    renderLink();
  } catch (error) {
    failed(error);
  }
}

// ---- Mode ----------------------------------------------------------------------------------

let modeView = null;

function renderMode(figures) {
  const mode = figures?.mode ?? modeView?.mode;
  const effective = figures?.effectiveMode ?? modeView?.effective;
  for (const element of document.querySelectorAll('[data-mode]')) {
    element.setAttribute('aria-pressed', String(element.dataset.mode === mode));
    element.disabled = element.dataset.mode !== 'sync' && modeView?.asyncAvailable === false;
  }
  if (!mode) return;
  const by = modeView ? ` by ${modeView.setBy} at ${clock(modeView.setAt)}` : '';
  const auto = mode === 'auto' ? ` (this instance is in ${effective} now)` : '';
  const noKafka = modeView?.asyncAvailable === false ? ' No Kafka configured: sync only.' : '';
  $('#mode-state').textContent = `Mode ${mode}${auto}, set${by}.${noKafka}`;
}

async function loadMode() {
  modeView = await call('GET', '/admin/mode');
  renderMode(null);
}

async function switchMode(mode) {
  try {
    modeView = await call('PUT', '/admin/mode', { mode, reason: 'admin console' });
    renderMode(null);
    message('#mode-message', `Switched to ${mode}; every instance follows within a second.`);
  } catch (error) {
    if (error.status === 0 || error.status === 401) return failed(error);
    message('#mode-message', error.message, true);
  }
}

// ---- Backpressure --------------------------------------------------------------------------

async function setLimit(event) {
  event.preventDefault();
  const limit = $('#limit');
  try {
    const view = await call('PUT', '/admin/backpressure', {
      maxInFlight: Number(limit.value),
      reason: 'admin console',
    });
    delete limit.dataset.edited;
    message('#limit-message', `Limit set to ${view.maxInFlight} by ${view.setBy}.`);
  } catch (error) {
    if (error.status === 0 || error.status === 401) return failed(error);
    message('#limit-message', error.message, true);
  }
}

// ---- Stuck orders and dead letters ---------------------------------------------------------

async function redrive(order) {
  try {
    await call('POST', `/admin/orders/${order.id}/redrive`);
    message('#stuck-message', `Order ${order.id} re-driven: its payment was asked for again.`);
  } catch (error) {
    message('#stuck-message', `Order ${order.id}: ${error.message}`, true);
  }
  await loadLists();
}

async function replay(letter) {
  try {
    await call('POST', `/admin/dead-letters/${letter.id}/replay`);
    message('#dead-message', `Dead letter ${letter.id} replayed.`);
  } catch (error) {
    message('#dead-message', `Dead letter ${letter.id}: ${error.message}`, true);
  }
  await loadLists();
}

async function replayAll() {
  try {
    const { replayed } = await call('POST', '/admin/dead-letters/replay');
    message('#dead-message', `${replayed} dead letters replayed.`);
  } catch (error) {
    message('#dead-message', error.message, true);
  }
  await loadLists();
}

/** Where an order's payment stands, in words (GET /admin/stuck-orders: standing, message). */
function whereOf(order) {
  const message = order.message;
  const at = message ? `${message.topic}/${message.partition} at ${message.offset}` : '';
  switch (order.standing) {
    case 'in_process':
      return order.verdict === 'lost' ? 'sync payment, its process gone' : 'sync payment running';
    case 'unpublished':
      return 'in the outbox, never on Kafka';
    case 'queued':
      return `queued on ${at}, ${whole.format(message.ahead)} ahead`;
    case 'passed':
      return `passed on ${at}`;
    case 'unknown':
      return `on ${at}; Kafka not answering`;
    default:
      return 'not tracked';
  }
}

function renderStuck(orders) {
  const rows = fillTable('#stuck-orders', orders, 7, 'No stuck orders.');
  orders.forEach((order, i) => {
    const row = rows[i];
    row.dataset.orderId = order.id;
    row.dataset.verdict = order.verdict;
    const id = document.createElement('code');
    id.textContent = order.id.slice(0, 8);
    id.title = order.id;
    cell(row, id);
    cell(row, order.mode);
    cell(row, `${whole.format(order.waitingSeconds)} s`);
    const verdict = order.needsAttentionAt ? `${order.verdict}, needs attention` : order.verdict;
    cell(row, verdict).className = order.verdict === 'lost' ? 'error' : '';
    const where = cell(row, whereOf(order));
    if (order.message?.committedOffset != null) {
      where.title = `workers committed up to ${order.message.committedOffset}`;
    }
    cell(row, String(order.redrives));
    cell(
      row,
      button('Re-drive', () => redrive(order)),
    );
  });
}

function renderDeadLetters(letters) {
  const rows = fillTable('#dead-letters', letters, 5, 'No dead letters waiting.');
  letters.forEach((letter, i) => {
    const row = rows[i];
    cell(row, letter.id);
    cell(row, letter.topic);
    cell(row, letter.error);
    cell(row, String(letter.attempts));
    cell(
      row,
      button('Replay', () => replay(letter)),
    );
  });
  $('#replay-all').disabled = letters.length === 0;
}

async function loadLists() {
  try {
    const [orders, letters] = await Promise.all([
      call('GET', '/admin/stuck-orders?limit=20'),
      call('GET', '/admin/dead-letters?state=waiting&limit=20'),
      loadMode(),
    ]);
    renderStuck(orders);
    renderDeadLetters(letters);
  } catch (error) {
    failed(error);
  }
}

// ---- Session -------------------------------------------------------------------------------

const timers = [];

function every(ms, task) {
  task();
  timers.push(setInterval(task, ms));
}

async function start() {
  $('#sign-in').hidden = true;
  $('#console').hidden = false;
  $('#sign-out').hidden = false;
  try {
    // The audit trail names whoever the token belongs to: shown, so a shared screen says who.
    const me = await call('GET', '/admin/me');
    $('#signed-in-as').textContent = `signed in as ${me.name}`;
    const points = await call('GET', `/admin/figures/history?seconds=${CHART_SECONDS}`);
    for (const point of points) addPoint(point);
  } catch (error) {
    if (error.status === 401 || error.status === 503) return signOut(error.message);
  }
  every(FIGURES_EVERY_MS, pollFigures);
  every(LISTS_EVERY_MS, loadLists);
}

function signOut(reason = '') {
  for (const timer of timers.splice(0)) clearInterval(timer);
  sessionStorage.removeItem(TOKEN);
  $('#console').hidden = true;
  $('#sign-out').hidden = true;
  $('#signed-in-as').textContent = '';
  $('#sign-in').hidden = false;
  $('#link').textContent = 'signed out';
  $('#link').className = 'pill';
  $('#sign-in-error').textContent = reason;
  $('#token').focus();
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $('#token').value);
  try {
    await call('GET', '/admin/me');
  } catch (error) {
    sessionStorage.removeItem(TOKEN);
    $('#sign-in-error').textContent =
      error.status === 401 ? 'That token was refused.' : `The app says: ${error.message}`;
    return;
  }
  $('#token').value = '';
  await start();
}

document.addEventListener('DOMContentLoaded', () => {
  $('#sign-in').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', () => signOut());
  $('#limit-form').addEventListener('submit', setLimit);
  $('#limit').addEventListener('input', (event) => (event.target.dataset.edited = 'yes'));
  $('#replay-all').addEventListener('click', replayAll);
  for (const element of document.querySelectorAll('[data-mode]')) {
    element.addEventListener('click', () => switchMode(element.dataset.mode));
  }
  if (sessionStorage.getItem(TOKEN)) void start();
  else signOut();
});
