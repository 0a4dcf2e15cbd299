/**
 * The explorer's histogram (uPlot: a canvas chart of ~50 kB that draws tens of thousands of points without a
 * framework). Dragging across it with the mouse selects a range, which becomes the explorer's From/To.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { brushToRange } from '../lib/time-zoom.js';

export interface HistogramData {
  interval_ms: number;
  total: number;
  buckets: { key: string; count: number }[];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function Histogram({ data, onBrush }: { data: HistogramData | undefined; onBrush: (from: string, to: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const brush = useRef(onBrush);
  brush.current = onBrush;

  useEffect(() => {
    const el = host.current;
    if (!el || !data) return;
    const xs = data.buckets.map((b) => Date.parse(b.key) / 1000);
    const ys = data.buckets.map((b) => b.count);
    const width = Math.max(200, el.clientWidth);
    const stroke = cssVar('--accent', '#2563eb');
    const opts: uPlot.Options = {
      width,
      height: 140,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, y: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: cssVar('--fg-muted', '#666'), grid: { stroke: cssVar('--grid', '#ddd'), width: 1 } },
        { stroke: cssVar('--fg-muted', '#666'), grid: { stroke: cssVar('--grid', '#ddd'), width: 1 }, size: 50 },
      ],
      series: [{}, { label: 'events', stroke, fill: `${stroke}55`, width: 1, paths: uPlot.paths.bars!({ size: [0.9, 100] }), points: { show: false } }],
      hooks: {
        setSelect: [
          (u) => {
            const { left, width: w } = u.select;
            const min = u.scales.x?.min;
            const max = u.scales.x?.max;
            if (w > 0 && min !== undefined && max !== undefined) {
              const range = brushToRange(left, left + w, u.over.clientWidth || u.bbox.width / devicePixelRatio, { from: min * 1000, to: max * 1000 });
              if (range) brush.current(range.from, range.to);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, [xs, ys], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 140 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [data]);

  return (
    <figure class="histogram">
      <div ref={host} data-testid="histogram" aria-label="Events over time; drag across to select a time range" role="img" />
      <figcaption class="muted">
        {data ? `${data.total.toLocaleString()} events · ${Math.round(data.interval_ms / 1000)} s per bar · drag to zoom into a range` : 'Loading the histogram…'}
      </figcaption>
    </figure>
  );
}
