/**
 * The dashboard's widgets as plain data. The CloudWatch dashboard (`cdk/dashboard-builder.ts`)
 * and the local dashboard (tools/local/dashboard) both render these, so they cannot disagree
 * on what is shown where.
 */
import { StageConfig } from '../../config/stage-config';
import { ResolvedAlarm } from '../alarms/alarm-definition';
import { DisplayUnit, SeriesRef } from '../metric-ref';
import { LogSource } from '../metric-filters';

/** How each severity is drawn, on both dashboards. */
export const SEVERITY_COLORS = { Critical: '#d62728', Warning: '#ff7f0e' } as const;

export type WidgetSpec = HeaderWidget | AlarmStatusWidget | GraphWidget | LogsWidget;

/** Title and links to the resources (the CloudWatch builder fills in the console URLs). */
export interface HeaderWidget {
  readonly kind: 'header';
  readonly title: string;
  readonly description: string;
  readonly links: readonly HeaderLink[];
}
export type HeaderLink = 'api' | 'predictFunctionLogs' | 'readFunctionLogs' | 'endpointLogs' | 'table';

export interface AlarmStatusWidget {
  readonly kind: 'alarms';
  readonly title: string;
  /** Alarm ids, the composite first, then Critical, then Warning. */
  readonly alarmIds: readonly string[];
}

export interface GraphWidget {
  readonly kind: 'graph';
  readonly title: string;
  readonly series: readonly SeriesRef[];
  readonly unit: DisplayUnit;
  /** Alarms whose thresholds are drawn on the chart. */
  readonly thresholds: readonly ThresholdLine[];
  readonly width: number;
}
export interface ThresholdLine {
  readonly alarmId: string;
  readonly label: string;
  readonly value: number;
}

export interface LogsWidget {
  readonly kind: 'logs';
  readonly title: string;
  readonly logGroups: readonly LogSource[];
  /** Logs Insights query (CloudWatch). */
  readonly query: string;
  /** The same selection as a filter pattern, for the local dashboard's list of lines. */
  readonly localPattern: string;
}

/** What a service's widgets are drawn against: the stage, and its enabled alarms by id. */
export interface WidgetContext {
  readonly config: StageConfig;
  readonly alarms: ReadonlyMap<string, ResolvedAlarm>;
}

/** A graph with the thresholds of those of `alarmIds` that are enabled (default width: a quarter row). */
export type GraphOf = (title: string, unit: DisplayUnit, series: SeriesRef[], alarmIds?: string[], width?: number) => GraphWidget;

/** The graph maker of one context: thresholds come from its enabled alarms. */
export function graphsFor(ctx: WidgetContext): GraphOf {
  return (title, unit, series, alarmIds = [], width = 6) => ({
    kind: 'graph',
    title,
    unit,
    series,
    width,
    thresholds: alarmIds.flatMap((id) => {
      const a = ctx.alarms.get(id);
      return a ? [{ alarmId: id, label: `${a.title} (${a.severity})`, value: a.threshold }] : [];
    }),
  });
}
