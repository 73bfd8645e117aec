/**
 * Dead letters (`GET /api/v2/dead-letters`): queue messages that failed every retry, with
 * their last error, by queue. Operators only. (The API lists them; it has no replay yet.)
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { num, when } from "../format";
import type { DeadLetter } from "../planning-types";
import { href, navigate } from "../router";
import type { Page } from "../types";

export function DeadLettersPage({ query }: { query: URLSearchParams }) {
  const queue = query.get("queue") ?? "";
  const [input, setInput] = useState(queue);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad<Page<DeadLetter>>((signal) => call("GET", `/api/v2/dead-letters${qs({ queue, cursor, limit: 50 })}`, { signal }), [queue, cursor]);
  const items = list.data?.items ?? [];
  return (
    <section>
      <PageTitle sub="Queue messages that failed every retry and ended in a dead-letter queue, with their last error. Listing only: the API has no replay yet.">
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
