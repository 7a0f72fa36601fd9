// Package analysis measures the metrics of AnalysisRuns and decides their outcome.
//
// It has four parts, each usable alone:
//
//   - Templates to runs: FetchTemplates reads the AnalysisTemplates and
//     ClusterAnalysisTemplates a Rollout names; BuildRun merges them into an AnalysisRun
//     with a stable name (RunName), labels, an owner reference and resolved args.
//   - Providers: a Provider queries Prometheus (PrometheusProvider, instant queries) or an
//     HTTP endpoint (WebProvider, a JSON value) and returns a Value.
//   - Conditions: a metric's successCondition and failureCondition are CEL expressions over
//     `result` and `series` (see Conditions); Conditions.Assess turns a Value into a Result,
//     applying the metric's noDataPolicy to empty and NaN results.
//   - The run state machine: Next is a pure function of the run, the clock and a measure
//     function. All timing state lives in the run's status, so a restarted controller
//     continues a run without losing or repeating measurements.
//
// A Measurer ties providers, placeholders ({{args.NAME}}, see Vars) and conditions together
// for the AnalysisRun controller.
package analysis
