// The delivery dashboard: sign in with the admin token, totals, the filtered list, a delivery's detail, replay, and
// live updates from the relay's event stream. Plain DOM; every value from the API is inserted as text, never as HTML.
/* global document, window */
import { AdminApi, ApiError } from './api.js';

const TOKEN_KEY = 'relay-admin-token';
/** Waits between reconnects of the event stream: doubling from 1 s to 30 s; reset once a stream delivers. */
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
/** Summaries arriving in a burst refresh the list once. */
const REFRESH_DEBOUNCE_MS = 150;

const $ = (id) => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`dashboard markup lacks #${id}`);
  return element;
};

const state = {
  api: undefined,
  /** Aborts the event stream and any reconnect wait on sign-out. */
  controller: undefined,
  selected: undefined,
  /** The open delivery's status when last shown. */
  detailStatus: undefined,
  /** Status of each listed delivery at the last refresh, to announce changes. */
  statuses: new Map(),
  refreshTimer: undefined,
  refreshing: false,
  refreshAgain: false,
};

// ----- formatting -------------------------------------------------------------------------------------------------

const number = new Intl.NumberFormat();
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

function bytes(n) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

function duration(seconds) {
  if (seconds <= 0) return 'none';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function timeElement(iso) {
  if (iso === null || iso === undefined) {
    const none = document.createElement('span');
    none.textContent = '–';
    return none;
  }
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = dateTime.format(new Date(iso));
  time.title = iso;
  return time;
}

function statusBadge(status) {
  const badge = document.createElement('span');
  badge.className = `badge status-${status}`;
  badge.textContent = status;
  return badge;
}

function cell(row, content, header = false) {
  const element = document.createElement(header ? 'th' : 'td');
  if (header) element.scope = 'row';
  if (content instanceof window.Node) element.append(content);
  else element.textContent = content === undefined || content === null || content === '' ? '–' : String(content);
  row.append(element);
  return element;
}

/** Image and tag of a delivery, from its jobs (a delivery no route matched has none). */
function imageOf(delivery) {
  return delivery.jobs[0]?.image ?? '';
}

function tagOf(delivery) {
  return delivery.jobs[0]?.tag ?? '';
}

function attemptsOf(delivery) {
  return delivery.jobs.reduce((n, job) => n + job.attempts, 0);
}

function announce(text) {
  const line = document.createElement('p');
  line.textContent = text;
  const announcer = $('announcer');
  announcer.append(line);
  // Keep the region short; screen readers read additions, not the whole region.
  while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
}

// ----- sign in and out ----------------------------------------------------------------------------------------------

function showSignedIn(signedIn) {
  $('signin').hidden = signedIn;
  $('dashboard').hidden = !signedIn;
  $('session').hidden = !signedIn;
}

async function signIn(token, { quiet = false } = {}) {
  const api = new AdminApi(token);
  const error = $('signin-error');
  error.textContent = '';
  try {
    const summary = await api.summary();
    state.api = api;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage refused (private mode): the token stays in memory for this page only.
    }
    $('token').value = '';
    showSignedIn(true);
    renderSummary(summary);
    await refreshList();
    startStream();
    $('overview-title').focus?.();
    announce('Signed in.');
  } catch (failure) {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored.
    }
    if (quiet && failure instanceof ApiError && failure.status === 401) return;
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? 'Sign-in failed: the relay did not accept this token (401). Use the value of RELAY_ADMIN_TOKEN.'
        : failure instanceof ApiError && failure.status === 404
          ? 'Sign-in failed: this relay has no admin API (404); set RELAY_ADMIN_TOKEN on it.'
          : `Sign-in failed: ${failure.message}`;
    $('token').focus();
  }
}

function signOut(message = '') {
  state.controller?.abort();
  state.controller = undefined;
  state.api = undefined;
  state.selected = undefined;
  state.statuses.clear();
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored.
  }
  $('delivery-rows').replaceChildren();
  $('detail').hidden = true;
  showSignedIn(false);
  $('signin-error').textContent = message;
  $('token').focus();
}

// ----- overview -----------------------------------------------------------------------------------------------------

function renderSummary(summary) {
  const { totals, ready, disk } = summary;
  $('total-all').textContent = number.format(totals.all.total);
  $('total-pending').textContent = number.format(totals.all.pending);
  $('total-failed').textContent = number.format(totals.all.failed);
  $('total-done').textContent = number.format(totals.all.done);

  const rows = totals.byImage.map((r) => {
    const row = document.createElement('tr');
    cell(row, r.image === '' ? '(no route matched)' : r.image, true);
    for (const key of ['total', 'pending', 'failed', 'done']) cell(row, number.format(r[key])).className = 'num';
    return row;
  });
  $('by-route').replaceChildren(...rows);
  $('images').replaceChildren(
    ...totals.byImage
      .filter((r) => r.image !== '')
      .map((r) => {
        const option = document.createElement('option');
        option.value = r.image;
        return option;
      }),
  );

  const readiness = $('readiness');
  readiness.textContent = ready.ready ? 'Ready' : 'Not ready';
  readiness.className = `readiness ${ready.ready ? 'ok' : 'bad'}`;
  const reasons = [];
  if (!ready.checks.inboxWritable) reasons.push(`the inbox cannot be written${ready.writeFailure ? ` (${ready.writeFailure})` : ''}`);
  if (!ready.checks.notDraining) reasons.push('the relay is shutting down');
  $('readiness-detail').textContent = ready.ready ? 'accepting deliveries' : reasons.join('; ');

  $('disk-inbox').textContent = `Inbox ${bytes(disk.payloadBytes + disk.databaseBytes)} (payloads ${bytes(disk.payloadBytes)}, database ${bytes(disk.databaseBytes)})`;
  const meter = $('disk-meter');
  if (disk.volume === null || disk.volume.totalBytes === 0) {
    meter.value = 0;
    $('disk-volume').textContent = 'volume size unknown';
  } else {
    const used = 1 - disk.volume.freeBytes / disk.volume.totalBytes;
    meter.value = used;
    meter.textContent = `${Math.round(used * 100)} %`;
    $('disk-volume').textContent = `${Math.round(used * 100)} % used, ${bytes(disk.volume.freeBytes)} free of ${bytes(disk.volume.totalBytes)}`;
  }
  $('pending-jobs').textContent = number.format(summary.pendingJobs);
  $('oldest-pending').textContent = duration(summary.oldestPendingAgeSeconds);
}

// ----- the list -----------------------------------------------------------------------------------------------------

/** The filter form as API parameters; throws with a message when the custom range is not valid. */
function currentFilter() {
  const filter = { status: $('filter-status').value, image: $('filter-image').value.trim(), limit: $('filter-limit').value };
  const range = $('filter-range').value;
  if (range === 'custom') {
    const since = $('filter-since').value;
    const until = $('filter-until').value;
    // datetime-local values are local times; the API takes ISO 8601 instants.
    if (since !== '') filter.since = new Date(since).toISOString();
    if (until !== '') filter.until = new Date(until).toISOString();
    if (filter.since && filter.until && filter.since >= filter.until) throw new Error('"From" must be before "Until".');
  } else if (range !== '') {
    filter.since = new Date(Date.now() - Number(range) * 1000).toISOString();
  }
  return filter;
}

function scheduleRefresh() {
  if (state.refreshTimer !== undefined) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = undefined;
    // The list first: the detail announces a change only for a delivery the list no longer shows.
    void refreshList().then(() => (state.selected === undefined ? undefined : showDetail(state.selected, { focus: false })));
  }, REFRESH_DEBOUNCE_MS);
}

async function refreshList() {
  if (state.api === undefined) return;
  // One request at a time; a change meanwhile asks for one more.
  if (state.refreshing) {
    state.refreshAgain = true;
    return;
  }
  state.refreshing = true;
  const api = state.api;
  try {
    let filter;
    try {
      filter = currentFilter();
    } catch (invalid) {
      $('list-error').textContent = invalid.message;
      return;
    }
    const { deliveries } = await api.deliveries(filter);
    if (state.api !== api) return;
    $('list-error').textContent = '';
    renderList(deliveries, filter);
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signOut('The relay no longer accepts this token (401); sign in again.');
    $('list-error').textContent = `Could not load deliveries: ${failure.message}`;
  } finally {
    state.refreshing = false;
    if (state.refreshAgain) {
      state.refreshAgain = false;
      void refreshList();
    }
  }
}

function renderList(deliveries, filter) {
  const rows = deliveries.map((d) => {
    const row = document.createElement('tr');
    row.dataset.delivery = d.id;
    row.dataset.status = d.status;
    cell(row, timeElement(d.receivedAt));
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = d.id.length > 13 ? `${d.id.slice(0, 8)}…` : d.id;
    open.title = d.id;
    open.setAttribute('aria-label', `Details of delivery ${d.id}`);
    open.addEventListener('click', () => void showDetail(d.id));
    cell(row, open, true);
    cell(row, `${d.event}${d.action ? ` · ${d.action}` : ''}`);
    cell(row, imageOf(d));
    cell(row, tagOf(d));
    cell(row, statusBadge(d.status));
    cell(row, attemptsOf(d)).className = 'num';
    const actions = cell(row, '');
    actions.textContent = '';
    if (d.status === 'failed') {
      const replay = document.createElement('button');
      replay.type = 'button';
      replay.textContent = 'Replay';
      replay.setAttribute('aria-label', `Replay delivery ${d.id}`);
      replay.addEventListener('click', () => void replayOne(d.id, replay));
      actions.append(replay);
    }
    return row;
  });
  $('delivery-rows').replaceChildren(...rows);

  // Announce what changed since the last refresh (live updates), not the whole list.
  for (const d of deliveries) {
    const before = state.statuses.get(d.id);
    if (before !== undefined && before !== d.status) announce(`Delivery ${d.id} is now ${d.status} (was ${before}).`);
  }
  state.statuses = new Map(deliveries.map((d) => [d.id, d.status]));

  const described = [filter.status || 'any status', filter.image ? `image containing “${filter.image}”` : '', filter.since || filter.until ? 'in the chosen time range' : '']
    .filter(Boolean)
    .join(', ');
  $('list-state').textContent = `${deliveries.length} ${deliveries.length === 1 ? 'delivery' : 'deliveries'} shown (${described}), newest first.`;
}

// ----- detail and replay --------------------------------------------------------------------------------------------

async function showDetail(id, { focus = true } = {}) {
  const api = state.api;
  if (api === undefined) return;
  state.selected = id;
  let d;
  try {
    d = await api.delivery(id);
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signOut('The relay no longer accepts this token (401); sign in again.');
    $('list-error').textContent = `Could not load delivery ${id}: ${failure.message}`;
    return;
  }
  if (state.selected !== id) return;
  // A delivery the list no longer shows (a filter on "failed", after its replay) is still announced here.
  if (state.detailStatus !== undefined && state.detailStatus.id === id && state.detailStatus.status !== d.status && !state.statuses.has(id)) {
    announce(`Delivery ${id} is now ${d.status} (was ${state.detailStatus.status}).`);
  }
  state.detailStatus = { id, status: d.status };
  $('detail-title').textContent = `Delivery ${d.id}`;
  $('d-id').textContent = d.id;
  $('d-status').replaceChildren(statusBadge(d.status));
  $('d-event').textContent = `${d.event}${d.action ? ` · ${d.action}` : ''}`;
  $('d-image').textContent = imageOf(d) || '(no route matched)';
  $('d-tag').textContent = tagOf(d) || '–';
  $('d-received').replaceChildren(timeElement(d.receivedAt));
  $('d-hook').textContent = d.hookId ?? '–';
  $('d-jobs').replaceChildren(
    ...d.jobs.map((job) => {
      const row = document.createElement('tr');
      cell(row, `#${job.id}`, true);
      cell(row, job.target);
      const status = cell(row, statusBadge(job.status));
      if (job.coalescedInto !== null) status.append(` into job #${job.coalescedInto}`);
      cell(row, job.attempts).className = 'num';
      cell(row, timeElement(job.createdAt));
      cell(row, timeElement(job.nextAttemptAt));
      cell(row, timeElement(job.finishedAt));
      cell(row, job.lastError).className = 'error-text';
      return row;
    }),
  );
  const replay = $('d-replay');
  replay.dataset.delivery = d.id;
  $('detail').hidden = false;
  if (focus) $('detail-title').focus();
}

async function replayOne(id, button) {
  if (state.api === undefined) return;
  if (button) button.disabled = true;
  try {
    const answer = await state.api.replay(id);
    announce(
      answer.matched.length > 0
        ? `Replay of delivery ${id} queued for ${answer.matched.join(', ')}.`
        : `Delivery ${id} was replayed but matches no route now${answer.reason ? ` (${answer.reason})` : ''}.`,
    );
    scheduleRefresh();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signOut('The relay no longer accepts this token (401); sign in again.');
    $('list-error').textContent = `Replay of ${id} failed: ${failure.message}`;
  } finally {
    if (button) button.disabled = false;
  }
}

function confirmBulk(text) {
  const dialog = $('confirm-bulk');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const finish = (ok) => {
      $('confirm-replay').removeEventListener('click', yes);
      $('confirm-cancel').removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const yes = () => finish(true);
    const no = (event) => {
      event?.preventDefault();
      finish(false);
    };
    $('confirm-replay').addEventListener('click', yes);
    $('confirm-cancel').addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

async function replayAll() {
  if (state.api === undefined) return;
  let filter;
  try {
    filter = currentFilter();
  } catch (invalid) {
    $('list-error').textContent = invalid.message;
    return;
  }
  const scope = [filter.image ? `for images containing “${filter.image}”` : 'for every image', filter.since || filter.until ? 'received in the chosen time range' : 'received at any time'].join(', ');
  if (!(await confirmBulk(`Replay every failed delivery ${scope} (at most 1000)? Each is matched against the current routes and forwarded again.`))) return;
  const button = $('replay-all');
  button.disabled = true;
  try {
    const answer = await state.api.replayFailed(filter);
    const skipped = answer.skipped.length > 0 ? ` ${answer.skipped.length} could not be replayed: ${answer.skipped.map((s) => `${s.delivery}: ${s.error}`).join('; ')}.` : '';
    const more = answer.more ? ' More failed deliveries match: replay again for the next 1000.' : '';
    announce(`Replay queued for ${answer.replayed.length} failed ${answer.replayed.length === 1 ? 'delivery' : 'deliveries'}.${skipped}${more}`);
    scheduleRefresh();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signOut('The relay no longer accepts this token (401); sign in again.');
    $('list-error').textContent = `Bulk replay failed: ${failure.message}`;
  } finally {
    button.disabled = false;
    button.focus();
  }
}

// ----- live updates -------------------------------------------------------------------------------------------------

function liveState(text, good) {
  const element = $('live-state');
  element.textContent = `Live updates: ${text}`;
  element.className = `live-state ${good ? 'ok' : 'bad'}`;
}

function startStream() {
  state.controller?.abort();
  const controller = new window.AbortController();
  state.controller = controller;
  const api = state.api;
  let wait = RECONNECT_MIN_MS;
  const sleep = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const run = async () => {
    while (!controller.signal.aborted) {
      liveState('connecting…', false);
      try {
        await api.stream(controller.signal, ({ event, data }) => {
          if (event !== 'summary') return;
          wait = RECONNECT_MIN_MS;
          liveState(`connected, updated ${dateTime.format(new Date(data.generatedAt))}`, true);
          renderSummary(data);
          scheduleRefresh();
        });
        if (controller.signal.aborted) return;
        liveState('the relay closed the stream; reconnecting…', false);
      } catch (failure) {
        if (controller.signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 401) return signOut('The relay no longer accepts this token (401); sign in again.');
        if (failure instanceof ApiError && failure.status === 503) wait = Math.max(wait, 10_000);
        liveState(`disconnected (${failure.message}); retrying in ${Math.round(wait / 1000)} s`, false);
      }
      await sleep(wait);
      wait = Math.min(RECONNECT_MAX_MS, wait * 2);
    }
  };
  void run();
}

// ----- wiring -------------------------------------------------------------------------------------------------------

function init() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (token === '') {
      $('signin-error').textContent = 'Enter the admin token.';
      $('token').focus();
      return;
    }
    void signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.statuses.clear();
    void refreshList();
  });
  $('filter-range').addEventListener('change', () => {
    $('custom-range').hidden = $('filter-range').value !== 'custom';
  });
  $('replay-all').addEventListener('click', () => void replayAll());
  $('d-replay').addEventListener('click', (event) => void replayOne(event.currentTarget.dataset.delivery, event.currentTarget));
  $('d-close').addEventListener('click', () => {
    state.selected = undefined;
    $('detail').hidden = true;
    $('deliveries-title').focus?.();
  });

  let stored = null;
  try {
    stored = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    // Storage refused.
  }
  if (stored) void signIn(stored, { quiet: true });
  else $('token').focus();
}

init();
