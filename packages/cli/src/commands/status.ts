// `kargo-env status [--watch]`: each environment's Freight, health, last promotion and what happens next.
import { booleanFlag, defineCommand, type Flags } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import type { Output } from '../output.ts';
import { addClusterFlags, clusterOptionsFromFlags, durationFlag } from '../kube/flags.ts';
import type { ClusterOptions } from '../kube/session.ts';

export interface StatusOptions extends ClusterOptions {
  readonly watch: boolean;
  /** With --watch: stop after this long (ms); default until interrupted. */
  readonly watchTimeoutMs?: number;
}

export function statusOptionsFromFlags(flags: Flags): StatusOptions {
  const watch = booleanFlag(flags, 'watch');
  const watchTimeoutMs = durationFlag(flags, 'watchTimeout', '--watch-timeout');
  if (watchTimeoutMs !== undefined && !watch) throw new UsageError('--watch-timeout needs --watch');
  if (watch && flags['json'] === true) throw new UsageError('--watch cannot be combined with --json (one JSON document); run status --json repeatedly or use the watch in a terminal');
  return { ...clusterOptionsFromFlags(flags), watch, ...(watchTimeoutMs === undefined ? {} : { watchTimeoutMs }) };
}

/** Clear the screen and home the cursor: only on a terminal with colour allowed. */
const CLEAR = '\x1b[2J\x1b[H';

async function execute(options: StatusOptions, io: Io, output: Output): Promise<ExitCode> {
  const { openSession } = await import('../kube/session.ts');
  const { loadStatus, watchStatus, formatStatus } = await import('../kube/status.ts');
  const session = await openSession(options, io);
  const { state, versions } = await loadStatus(session.client, session.config);
  const context = session.client.connection.context;
  const render = () => formatStatus(state.report(session.config, context, Date.now()), output.paint);
  if (!options.watch) {
    output.data({ ok: true, config: session.configDisplay, ...state.report(session.config, context, Date.now()) });
    if (!output.json) output.result(render());
    return ExitCode.Ok;
  }
  // Redraw in place on a terminal (and not with NO_COLOR or TERM=dumb); in a pipe, append each changed table.
  const redraw = io.stdout.isTTY === true && output.paint('bold', 'x') !== 'x';
  let shown = '';
  const draw = () => {
    const text = render();
    const body = text.slice(text.indexOf('\n') + 1);
    if (body === shown.slice(shown.indexOf('\n') + 1) && !redraw) return;
    shown = text;
    if (redraw) io.stdout.write(`${CLEAR}${text}\n${output.paint('dim', 'watching (Ctrl-C to stop)')}\n`);
    else output.result(`${text}\n`);
  };
  draw();
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener('abort', stop, { once: true });
  const timer = options.watchTimeoutMs === undefined ? undefined : setTimeout(stop, options.watchTimeoutMs);
  // Changes arrive in bursts (a promotion touches Stage and two Freight): draw once per 100 ms. On a terminal the
  // table is also redrawn each 15 s without any request, so remaining soak times count down.
  let pending: NodeJS.Timeout | undefined;
  const onChange = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      draw();
    }, 100);
  };
  const tick = redraw ? setInterval(draw, 15_000) : undefined;
  try {
    await watchStatus(session.client, session.config, state, versions, controller.signal, onChange);
  } finally {
    clearTimeout(timer);
    clearTimeout(pending);
    clearInterval(tick);
    io.signal?.removeEventListener('abort', stop);
  }
  draw();
  return ExitCode.Ok;
}

export const statusCommand = defineCommand<StatusOptions>({
  name: 'status',
  summary: 'the pipeline as a table: Freight and tag per environment, health, last promotion, what happens next and when',
  examples: [
    ['kargo-env status', 'one table for the current kubeconfig context'],
    ['kargo-env status --watch', 'keep the table current (watch API); Ctrl-C stops'],
    ['kargo-env status --json', 'one JSON document with every environment'],
  ],
  configure(command) {
    addClusterFlags(command);
    command.option('--watch', 'keep the table current through the watch API (redrawn on a terminal, appended in a pipe)').option('--watch-timeout <duration>', 'with --watch: stop after this long, e.g. 10m');
    command.addHelpText('after', '\nRead-only. Exit codes: 0 ok · 1 invalid config or API error · 2 cannot reach the cluster, or usage error.\n');
  },
  toOptions: statusOptionsFromFlags,
  execute,
});
