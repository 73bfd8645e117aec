/**
 * A time chart drawn with uPlot, loaded on first use (its own chunk, so the first load stays
 * small). Used for a SKU's on-hand over time from its ledger; forecasts will reuse it. The
 * canvas is hidden from assistive technology: the caller gives a text summary and the data
 * as a table.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export interface Series {
  label: string;
  values: number[];
  color: string;
  /** Dashed line. */
  dash?: boolean;
}

export function TimelineChart({ times, series, label }: { times: number[]; series: Series[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | null = null;
    let observer: ResizeObserver | null = null;
    let cancelled = false;
    Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")])
      .then(([{ default: UPlot }]) => {
        if (cancelled || !box.current) return;
        const el = box.current;
        const stepped = UPlot.paths.stepped?.({ align: 1 });
        const size = () => ({ width: Math.max(el.clientWidth, 240), height: el.clientWidth < 500 ? 200 : 260 });
        plot = new UPlot(
          {
            ...size(),
            // Stock stays at a level until the next change: stepped lines.
            series: [
              {},
              ...series.map((s) => ({
                label: s.label,
                stroke: s.color,
                width: 2,
                dash: s.dash ? [6, 4] : undefined,
                paths: stepped,
                points: { show: times.length < 60 },
              })),
            ],
            axes: [{ stroke: "#333" }, { stroke: "#333", size: 60 }],
            scales: { x: { time: true } },
            cursor: { focus: { prox: 16 } },
            legend: { show: true },
          },
          [times, ...series.map((s) => s.values)],
          el,
        );
        observer = new ResizeObserver(() => plot?.setSize(size()));
        observer.observe(el);
      })
      .catch((err: unknown) => setFailed(err instanceof Error ? err.message : String(err)));
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [times, series]);
  if (failed) return <p class="state error">The chart could not be drawn: {failed}</p>;
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
