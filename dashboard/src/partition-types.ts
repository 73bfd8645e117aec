/** The partitioned system's answers (issue 19): read databases, vendor moves, load counters. */

/** `GET /api/v2/read-partitions`. */
export interface ReadPartitions {
  partitions: number;
}

export type MoveState = "draining" | "copying" | "switched" | "done";

/** A move of a vendor's read-model rows (`POST …/moves`, `GET …/moves`, `GET …/moves/{id}`). */
export interface ReadMove {
  id: string;
  vendorId: string;
  from: number;
  to: number;
  state: MoveState;
  rowsCopied: number;
  rowsDeleted: number;
  requestedBy: string;
  stateSince: string;
  createdAt: string;
  updatedAt: string;
}

/** Where a vendor's rows are now: its read database, and whether that is stored (pinned or moved) or its home under M. */
export interface Placement {
  partition: number;
  pinned: boolean;
  /** False: pinned to a read database that does not exist (≥ M), a misconfiguration to repair. */
  databaseExists: boolean;
}

/** `GET …/moves?vendorId=`: the vendor's moves and placement (null: no such vendor); without `vendorId` only `items`. */
export interface MoveList {
  items: ReadMove[];
  placement?: Placement | null;
}

/** `POST …/pin`. */
export interface PinResult {
  pinned: number;
}

/** One queue partition's consumer counts. */
export interface QueuePartitionLoad {
  partition: number;
  queue: string;
  batches: number;
  messages: number;
}

/** One database's EVENTS-projection writes. */
export interface DatabaseLoad {
  binding: string;
  batches: number;
  statements: number;
  events: number;
  applied: number;
}

/** `GET /api/v2/diagnostics/load`: one isolate's counters since it started counting. */
export interface LoadSnapshot {
  scope: "isolate";
  note: string;
  isolate: { id: string; countingSince: string };
  at: string;
  queues: {
    events: QueuePartitionLoad[];
    webhooks: QueuePartitionLoad[];
    sync: QueuePartitionLoad[];
    reorder: QueuePartitionLoad[];
    other: { queue: string; batches: number; messages: number }[];
  };
  databases: DatabaseLoad[];
}
