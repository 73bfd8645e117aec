/**
 * Load counters (issue 19): what THIS isolate has done since it first counted — queue messages
 * consumed per queue (counted by the queue entry, `queues/dispatch.ts`, per batch it hands to a
 * consumer) and D1 writes of the EVENTS projection per database binding (counted by
 * `services/event-projection.ts` where it builds each batch: the read-model batch per read
 * database `READ_<i>`, the webhook-delivery insert in `DB`). Counting only: a few additions
 * in memory on the hot path, no I/O, no wrapper around D1 or the queues. Read by operators at
 * `GET /api/v2/diagnostics/load` and by `npm run bench` before and after a scenario, to show
 * how the load spread over the partitions.
 *
 * These are one isolate's counts, since that isolate started counting. In production a Worker
 * runs in many isolates at once, each counting its own share (and losing it when evicted), so
 * one answer is a sample, not a total. Locally (`npm start`, the bench, tests) one isolate runs
 * every consumer, so its counts are the whole system's.
 */
import { EVENTS_NAMES, REORDER_NAMES, SYNC_NAMES, WEBHOOKS_NAMES } from "./dead-letter-replay";

/** Messages one queue's consumer received: `batches` handed over, `messages` in them (redeliveries included). */
export interface QueueCount {
  batches: number;
  messages: number;
}

/** D1 writes the EVENTS projection sent to one database. */
export interface DatabaseCount {
  /** Round trips that wrote: a D1 batch (one transaction), or a single statement (the webhook-delivery insert). */
  batches: number;
  /** Statements in those writes. */
  statements: number;
  /** Events the writes carried (a redelivered event counts again). */
  events: number;
  /** Of those, events applied for the first time (their dedupe row written by this batch); 0 for `DB`. */
  applied: number;
}

const queues = new Map<string, QueueCount>();
const databases = new Map<string, DatabaseCount>();
/** When this isolate first counted or answered (Workers give no clock or randomness at global scope, so set on first use). */
let since: { at: number; id: string } | null = null;

function started(): { at: number; id: string } {
  since ??= { at: Date.now(), id: crypto.randomUUID() };
  return since;
}

/** Counts a batch of `messages` handed to the consumer of `queue`. */
export function countQueueBatch(queue: string, messages: number): void {
  started();
  const c = queues.get(queue) ?? { batches: 0, messages: 0 };
  c.batches += 1;
  c.messages += messages;
  queues.set(queue, c);
}

/** Counts one write (a D1 batch, or one statement) the EVENTS projection sent to the database bound as `binding`. */
export function countDatabaseWrite(binding: string, write: { statements: number; events: number; applied?: number }): void {
  started();
  const c = databases.get(binding) ?? { batches: 0, statements: 0, events: 0, applied: 0 };
  c.batches += 1;
  c.statements += write.statements;
  c.events += write.events;
  c.applied += write.applied ?? 0;
  databases.set(binding, c);
}

/** A queue's counts, with its partition index. */
export interface PartitionCount extends QueueCount {
  partition: number;
  queue: string;
}

const partitionsOf = (names: readonly string[]): PartitionCount[] =>
  names.map((queue, partition) => ({ partition, queue, ...(queues.get(queue) ?? { batches: 0, messages: 0 }) }));

/** What `GET /api/v2/diagnostics/load` answers: every partition and database listed, zeros included. */
export function loadSnapshot(readDatabases: number) {
  const s = started();
  const partitioned = new Set<string>([...EVENTS_NAMES, ...WEBHOOKS_NAMES, ...SYNC_NAMES, ...REORDER_NAMES]);
  const bindings = ["DB", ...Array.from({ length: readDatabases }, (_, i) => `READ_${i}`)];
  return {
    scope: "isolate" as const,
    note: "this isolate's counts since it started counting; in production each isolate counts its own share (a sample, not a total), locally one isolate runs every consumer",
    isolate: { id: s.id, countingSince: new Date(s.at).toISOString() },
    at: new Date().toISOString(),
    queues: {
      events: partitionsOf(EVENTS_NAMES),
      webhooks: partitionsOf(WEBHOOKS_NAMES),
      sync: partitionsOf(SYNC_NAMES),
      reorder: partitionsOf(REORDER_NAMES),
      /** Dead-letter queues and any other queue a batch came from. */
      other: [...queues]
        .filter(([q]) => !partitioned.has(q))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([queue, c]) => ({ queue, ...c })),
    },
    /** `DB` (webhook-delivery inserts) and each read database (the read-model batches). */
    databases: bindings.map((binding) => ({ binding, ...(databases.get(binding) ?? { batches: 0, statements: 0, events: 0, applied: 0 }) })),
  };
}

/** The answer of `loadSnapshot`. */
export type LoadSnapshot = ReturnType<typeof loadSnapshot>;
