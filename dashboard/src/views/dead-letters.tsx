/**
 * Dead letters (`GET /api/v2/dead-letters`): queue messages that failed every retry, with
 * their last error, by queue, and a Replay button (`POST …/{id}/replay`) that sends the
 * message once more to the queue it failed on; a replayed one says when and by whom.
 * Operators only.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { num, when, words } from "../format";
import type { DeadLetter, DeadLetterReplay } from "../planning-types";
import { href, navigate } from "../router";
import type { Page } from "../types";

export function DeadLettersPage({ query }: { query: URLSearchParams }) {
  const queue = query.get("queue") ?? "";
  const [input, setInput] = useState(queue);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad<Page<DeadLetter>>((signal) => call("GET", `/api/v2/dead-letters${qs({ queue, cursor, limit: 50 })}`, { signal }), [queue, cursor]);
  const items = list.data?.items ?? [];
  const [replay, setReplay] = useState<{ busy: string | null; done?: DeadLetterReplay; error?: unknown }>({ busy: null });
  const replayOne = async (d: DeadLetter) => {
    setReplay({ busy: d.id });
    try {
      const done = await call<DeadLetterReplay>("POST", `/api/v2/dead-letters/${encodeURIComponent(d.id)}/replay`);
      setReplay({ busy: null, done });
      list.reload();
    } catch (error) {
      setReplay({ busy: null, error });
    }
  };
  const reopenedWords = (r: DeadLetterReplay["reopened"]) =>
    r === "sync_chunk"
      ? "its sync chunk was reopened (the job runs again)"
      : r === "webhook_delivery"
        ? "its webhook delivery is pending again"
        : "nothing to reopen";
  return (
    <section>
      <PageTitle sub="Queue messages that failed every retry and ended in a dead-letter queue, with their last error. Replay sends one once more to the queue it failed on (once: a second replay only repeats the first answer).">
        Dead letters
      </PageTitle>
      <form
        class="filters"
        aria-label="Dead-letter filters"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          navigate(href(["dead-letters"], { queue: input.trim() }));
        }}
      >
        <div class="field">
          <label for="dl-queue">Queue (empty: all)</label>
          <input
            id="dl-queue"
            value={input}
            spellcheck={false}
            pattern="[a-z0-9-]{1,64}"
            placeholder="edge-inventory-events"
            onInput={(e) => setInput((e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit">Filter</button>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          {list.loading ? "Loading…" : "Refresh"}
        </button>
      </form>
      {replay.done ? (
        <p class="state success" role="status">
          Replayed <code>{replay.done.messageId}</code> to {replay.done.queue} {when(replay.done.replayedAt)}: {reopenedWords(replay.done.reopened)}.
        </p>
      ) : null}
      {replay.error ? <ErrorNote error={replay.error} /> : null}
      {list.loading && !list.data ? <Loading label="Loading dead letters…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? <Empty>No dead letters{queue ? ` from ${queue}` : ""}: every message was handled.</Empty> : null}
      {items.length > 0 ? (
        <TableWrap label="Dead letters">
          <table class="dead-letters-table">
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Message</th>
                <th scope="col">Last error</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Failed</th>
                <th scope="col">Body</th>
                <th scope="col">Replay</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={`${d.queue}/${d.messageId}`} data-message={d.messageId}>
                  <td>
                    {d.queue}
                    <span class="muted small"> → {d.deadLetterQueue}</span>
                  </td>
                  <th scope="row">
                    <code>{d.messageId}</code>
                  </th>
                  <td class="small">{d.error ?? "—"}</td>
                  <td class="num">{num(d.attempts)}</td>
                  <td>{when(d.failedAt ?? d.receivedAt)}</td>
                  <td>
                    <details>
                      <summary>{num(d.body.length)} characters</summary>
                      <pre class="small body-text">{d.body}</pre>
                    </details>
                  </td>
                  <td>
                    {d.replayedAt ? (
                      <span class="small">
                        Replayed {when(d.replayedAt)} by <code>{d.replayedBy}</code>
                        {d.replayReopened && d.replayReopened !== "none" ? ` (${words(d.replayReopened)} reopened)` : ""}
                      </span>
                    ) : (
                      <button
                        type="button"
                        class="secondary"
                        disabled={replay.busy !== null}
                        onClick={() => replayOne(d)}
                        aria-label={`Replay message ${d.messageId} to ${d.queue}`}
                      >
                        {replay.busy === d.id ? "Replaying…" : "Replay"}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={list.data?.nextCursor} />
    </section>
  );
}
