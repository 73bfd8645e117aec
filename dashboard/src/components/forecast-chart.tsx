/**
 * A SKU's demand forecast drawn with uPlot (loaded on first use, its own chunk): units sold per
 * day so far, then the forecast's mean with its 80 % and 95 % intervals as shaded bands. The
 * canvas is hidden from assistive technology; the caller gives a text summary and a table.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export interface ForecastPoints {
  /** Unix seconds, one per day (history first, then the forecast). */
  times: number[];
  sold: (number | null)[];
  mean: (number | null)[];
  p80: { lower: (number | null)[]; upper: (number | null)[] };
  p95: { lower: (number | null)[]; upper: (number | null)[] };
}

export function ForecastChart({ points, label }: { points: ForecastPoints; label: string }) {
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
        const size = () => ({ width: Math.max(el.clientWidth, 240), height: el.clientWidth < 500 ? 220 : 280 });
        const bound = (label: string, color: string) => ({ label, stroke: color, width: 1, points: { show: false } });
        plot = new UPlot(
          {
            ...size(),
            series: [
              {},
              { label: "Sold", stroke: "#0f172a", width: 2, points: { show: false } },
              bound("95 % high", "#93c5fd"),
              bound("80 % high", "#3b82f6"),
              { label: "Forecast (mean)", stroke: "#1d4ed8", width: 2, dash: [6, 4], points: { show: false } },
              bound("80 % low", "#3b82f6"),
              bound("95 % low", "#93c5fd"),
            ],
            bands: [
              { series: [2, 6], fill: "rgba(59, 130, 246, 0.12)" },
              { series: [3, 5], fill: "rgba(59, 130, 246, 0.25)" },
            ],
            axes: [{ stroke: "#333" }, { stroke: "#333", size: 50 }],
            scales: { x: { time: true } },
            legend: { show: true },
          },
          [points.times, points.sold, points.p95.upper, points.p80.upper, points.mean, points.p80.lower, points.p95.lower] as never,
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
  }, [points]);
  if (failed) return <p class="state error">The chart could not be drawn: {failed}</p>;
  return <div class="chart forecast-chart" ref={box} role="img" aria-label={label} />;
}
