/**
 * `/admin`: delivery over the last hour, day or month (deliveries by outcome, latency
 * percentiles, the queue backlog, inbound activities by answer), and today's use of the
 * Workers Free plan.
 */
import { type Series, WINDOW_NAMES, type Window } from "../../metrics/buckets";
import { FREE_PLAN } from "../../metrics/free-plan";
import { LineChart } from "./chart";
import { count, seconds, utc } from "./format";
import { AdminPage } from "./layout";
import {
  backlogLine,
  deliveryLines,
  inboundLines,
  inboundTotals,
  latencyLines,
} from "./overview-data";

export interface OverviewProps {
  readonly csrf: string;
  readonly series: Series;
  readonly now: Date;
}

const STEP_NAMES: Readonly<Record<Window, string>> = {
  hour: "per minute",
  day: "per 5 minutes",
  month: "per hour",
};

function FreePlan(props: { readonly today: Series["today"]; readonly now: Date }) {
  return (
    <section>
      <h2>Today on the Workers Free plan</h2>
      <p class="muted">
        Since 00:00 UTC (when Cloudflare resets the daily allowances), from Outpost's own counters;{" "}
        {utc(props.now)} UTC now.
      </p>
      <table>
        <thead>
          <tr>
            <th>Allowance</th>
            <th class="n">Used</th>
            <th class="n">A day</th>
            <th>Share</th>
            <th>Counted</th>
          </tr>
        </thead>
        <tbody>
          {FREE_PLAN.map((a) => {
            const used = a.used(props.today);
            const share = used / a.limit;
            return (
              <tr id={`plan-${a.id}`}>
                <td>{a.label}</td>
                <td class="n">{count(used)}</td>
                <td class="n">{count(a.limit)}</td>
                <td class={`share${share >= 0.8 ? " bad" : share >= 0.5 ? " warn" : ""}`}>
                  <meter
                    min={0}
                    max={a.limit}
                    low={a.limit * 0.5}
                    high={a.limit * 0.8}
                    value={used}
                  >
                    {(share * 100).toFixed(1)}%
                  </meter>{" "}
                  {(share * 100).toFixed(share < 0.1 ? 2 : 1)}%
                </td>
                <td class="muted">{a.note}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export function OverviewPage(props: OverviewProps) {
  const { series } = props;
  const per = STEP_NAMES[series.window];
  const chart = { start: series.start, stepMs: series.stepMs };
  const inbound = inboundTotals(series);
  return (
    <AdminPage title="Delivery" section="overview" csrf={props.csrf}>
      <nav aria-label="Window">
        Last{" "}
        {WINDOW_NAMES.map((w) => (
          <a href={`/admin?window=${w}`} aria-current={w === series.window ? "page" : undefined}>
            {w}
          </a>
        ))}
        <span class="muted">(times in UTC)</span>
      </nav>
      <h2>Deliveries {per}, by outcome</h2>
      <LineChart title={`Deliveries ${per}`} {...chart} lines={deliveryLines(series)} />
      <h2>Delivery latency</h2>
      <LineChart
        title="Delivery latency percentiles (seconds)"
        {...chart}
        lines={latencyLines(series)}
        format={seconds}
      />
      <h2>Queue backlog</h2>
      <LineChart
        title="Deliveries queued, retrying or parked (sampled every 5 minutes)"
        {...chart}
        lines={[backlogLine(series)]}
      />
      <h2>Inbound activities {per}</h2>
      <LineChart title={`Inbound activities ${per}`} {...chart} lines={inboundLines(series)} />
      {inbound.length > 0 ? (
        <table id="inbound">
          <thead>
            <tr>
              <th>Answer</th>
              <th class="n">In this window</th>
            </tr>
          </thead>
          <tbody>
            {inbound.map((t) => (
              <tr>
                <td>{t.label}</td>
                <td class="n">{count(t.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <FreePlan today={series.today} now={props.now} />
    </AdminPage>
  );
}
