/**
 * The Grafana types the dashboards are validated against, from Grafana's own SDK
 * (@grafana/grafana-foundation-sdk), under names a JSON Schema generator can address.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import type { Options as StatOptions } from '@grafana/grafana-foundation-sdk/stat';
import type { Options as TableOptions } from '@grafana/grafana-foundation-sdk/table';
import type {
  FieldConfig as TimeseriesFieldConfig,
  Options as TimeseriesOptions,
} from '@grafana/grafana-foundation-sdk/timeseries';

export type GrafanaDashboard = Dashboard;
export type PrometheusQuery = Dataquery;
export type StatPanelOptions = StatOptions;
export type TablePanelOptions = TableOptions;
export type TimeseriesPanelOptions = TimeseriesOptions;
export type TimeseriesPanelFieldConfig = TimeseriesFieldConfig;
