// Copies the inbox's WAL into the database on its own thread, so the writer thread never does it inside a commit.
//
// With SQLite's automatic checkpoints the commit that crosses the threshold copies every page first: at 2,000
// deliveries/s that stalled the acknowledgements queued behind it for tens of milliseconds, a few times a second,
// and was the relay's p99. A PASSIVE checkpoint takes no write lock, so here it runs beside the writer's commits.
// The writer keeps a far higher automatic threshold as a backstop in case this thread is gone.
import { parentPort, workerData } from 'node:worker_threads';
import { openInboxDatabase } from './store.ts';

const { dataDir, intervalMs } = workerData as { dataDir: string; intervalMs: number };
if (parentPort === null) throw new Error('checkpoint-thread.ts runs only as a worker thread');
const port = parentPort;

const db = openInboxDatabase(dataDir, { migrate: false });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let stopped = false;

function run(): void {
  if (stopped) return;
  try {
    checkpoint.get();
  } catch {
    // SQLITE_BUSY (another checkpoint) or a transient I/O error: the next round, or the writer's backstop, catches up.
  }
  setTimeout(run, intervalMs);
}

port.on('message', (message: { op: 'stop' }) => {
  if (message.op !== 'stop') return;
  stopped = true;
  db.close();
  port.close();
});
setTimeout(run, intervalMs);
