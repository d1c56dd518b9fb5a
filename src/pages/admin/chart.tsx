/**
 * Charts drawn on the server as SVG: lines over evenly spaced points with their axes and
 * labels, and horizontal bars. No script, no style attribute (colours are classes of the
 * page's style sheet), and compact paths: the data sit in an inner SVG scaled to the plot
 * (one unit a point across, 1,000 up), drawn with relative moves that fold flat runs into
 * one `h`.
 */
import { clock, day } from "./format";

export interface ChartLine {
  readonly label: string;
  /** One value per point; null where there is none (the line breaks). */
  readonly values: readonly (number | null)[];
}

export interface LineChartProps {
  readonly title: string;
  /** The first point's time (ms) and the spacing of the points. */
  readonly start: number;
  readonly stepMs: number;
  readonly lines: readonly ChartLine[];
  /** How the y axis writes a value; whole numbers by default. */
  readonly format?: (n: number) => string;
}

const WIDTH = 720;
const HEIGHT = 206;
const PLOT = { left: 56, right: 712, top: 8, bottom: 156 } as const;
const SCALE = 1000;

/** The smallest of 1, 2, 5 × 10ⁿ at or above `n` (1 for nothing). */
export function niceCeiling(n: number): number {
  if (!(n > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * power >= n) ?? 10) * power;
}

/** An SVG path through the values (x = index, y from 0 at `max` to `SCALE` at 0). */
export function linePath(values: readonly (number | null)[], max: number): string {
  let d = "";
  let previous: number | undefined;
  let run = 0;
  const flush = () => {
    if (run > 0) d += `h${run}`;
    run = 0;
  };
  values.forEach((value, i) => {
    if (value === null) {
      flush();
      previous = undefined;
      return;
    }
    const y = Math.round(SCALE - (Math.min(value, max) / max) * SCALE);
    if (previous === undefined && (values[i + 1] ?? null) === null) {
      // A point alone between gaps: a dash across its step, so that it shows.
      d += `M${i - 0.5} ${y}h1`;
    } else if (previous === undefined) {
      d += `M${i} ${y}`;
    } else if (y === previous) {
      run++;
    } else {
      flush();
      d += `l1 ${y - previous}`;
    }
    previous = y;
  });
  flush();
  return d;
}

/** Lines over time, with a y axis from 0, five time labels (UTC) and a legend. */
export function LineChart(props: LineChartProps) {
  const { lines, start, stepMs } = props;
  const format = props.format ?? ((n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1)));
  const points = Math.max(2, ...lines.map((l) => l.values.length));
  const highest = Math.max(0, ...lines.flatMap((l) => l.values.map((v) => v ?? 0)));
  const max = niceCeiling(highest);
  const x = (i: number) => PLOT.left + ((PLOT.right - PLOT.left) * i) / (points - 1);
  const y = (v: number) => PLOT.bottom - ((PLOT.bottom - PLOT.top) * v) / max;
  const when = stepMs >= 3_600_000 ? day : clock;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (points - 1)));
  let legendX = PLOT.left;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.title}>
      <title>{props.title}</title>
      {[0, max / 2, max].map((v) => (
        <>
          <line
            class={v === 0 ? "axis" : "grid"}
            x1={PLOT.left}
            x2={PLOT.right}
            y1={y(v)}
            y2={y(v)}
          />
          <text x={PLOT.left - 6} y={y(v) + 4} text-anchor="end">
            {format(v)}
          </text>
        </>
      ))}
      <line class="axis" x1={PLOT.left} x2={PLOT.left} y1={PLOT.top} y2={PLOT.bottom} />
      {ticks.map((i) => (
        <text
          x={x(i)}
          y={PLOT.bottom + 16}
          text-anchor={i === 0 ? "start" : i === points - 1 ? "end" : "middle"}
        >
          {when(start + i * stepMs)}
        </text>
      ))}
      <svg
        x={PLOT.left}
        y={PLOT.top}
        width={PLOT.right - PLOT.left}
        height={PLOT.bottom - PLOT.top}
        viewBox={`0 0 ${points - 1} ${SCALE}`}
        preserveAspectRatio="none"
        overflow="visible"
        aria-hidden="true"
      >
        {lines.map((line, k) => (
          <path
            class={`line s${(k % 6) + 1}`}
            vector-effect="non-scaling-stroke"
            d={linePath(line.values, max)}
          />
        ))}
      </svg>
      {lines.map((line, k) => {
        const at = legendX;
        legendX += 24 + line.label.length * 6.5;
        return (
          <text x={at} y={HEIGHT - 8} class={`f${(k % 6) + 1}`}>
            ■ {line.label}
          </text>
        );
      })}
      {highest === 0 ? (
        <text
          x={(PLOT.left + PLOT.right) / 2}
          y={(PLOT.top + PLOT.bottom) / 2}
          text-anchor="middle"
          class="muted"
        >
          none in this window
        </text>
      ) : null}
    </svg>
  );
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Horizontal bars, one a row, each with its label and value. */
export function BarChart(props: { readonly title: string; readonly bars: readonly Bar[] }) {
  const rowHeight = 18;
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const height = rowHeight * props.bars.length + 4;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={props.title}>
      <title>{props.title}</title>
      {props.bars.map((bar, i) => {
        const top = i * rowHeight + 2;
        const width = Math.max(1, Math.round((420 * bar.value) / max));
        return (
          <>
            <text x={230} y={top + 12} text-anchor="end">
              {bar.label.length > 36 ? `${bar.label.slice(0, 35)}…` : bar.label}
            </text>
            <rect class="f5" x={238} y={top + 2} width={width} height={rowHeight - 5} />
            <text x={244 + width} y={top + 12}>
              {bar.value}
            </text>
          </>
        );
      })}
    </svg>
  );
}
