/** Locations: every stocking location with its type, place, capabilities, priority and capacity. */
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { loadLocations } from "../data";
import { num, words } from "../format";
import { href } from "../router";
import type { Location } from "../types";

export function LocationsPage() {
  const list = useLoad<Location[]>(() => loadLocations(), []);
  return (
    <section>
      <PageTitle sub="Priority: lower is preferred when a reservation names no location. Changes: PUT /api/v2/locations/{id}.">Locations</PageTitle>
      {list.loading && !list.data ? <Loading label="Loading locations…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && list.data.length === 0 ? <Empty>No locations yet.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <TableWrap label="Locations">
          <table>
            <thead>
              <tr>
                <th scope="col">Location</th>
                <th scope="col">Id</th>
                <th scope="col">Type</th>
                <th scope="col">Place</th>
                <th scope="col">Ships</th>
                <th scope="col">Pickup</th>
                <th scope="col" class="num">
                  Priority
                </th>
                <th scope="col" class="num">
                  Capacity (units)
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((l) => (
                <tr key={l.id}>
                  <th scope="row">
                    <a href={href(["stock"], { locationId: l.id })}>{l.name}</a>
                  </th>
                  <td>
                    <code>{l.id}</code>
                  </td>
                  <td>{words(l.type)}</td>
                  <td>{[l.city, l.countryCode].filter(Boolean).join(", ") || "—"}</td>
                  <td>{l.canShip ? "yes" : "no"}</td>
                  <td>{l.canPickup ? "yes" : "no"}</td>
                  <td class="num">{num(l.priority)}</td>
                  <td class="num">{l.capacityUnits === null ? "—" : num(l.capacityUnits)}</td>
                  <td>
                    <Badge status={l.active ? "active" : "disabled"} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </section>
  );
}
