package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Stride's own metrics, served at the manager's /metrics. Every series is per Rollout or
// per outcome; none is per revision or per run, so cardinality stays at the number of
// Rollouts.
var (
	// rolloutPhase is 1 for the Rollout's current phase and 0 for the others.
	rolloutPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "stride_rollout_phase",
		Help: "Phase of each Rollout: 1 for the current phase (Healthy, Progressing, Paused, Degraded), 0 otherwise.",
	}, []string{"namespace", "rollout", "phase"})
	// rolloutStep is the index of the canary step being worked on.
	rolloutStep = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "stride_rollout_step",
		Help: "Index of the canary step being worked on (equal to the number of steps when all are done).",
	}, []string{"namespace", "rollout"})
	// rolloutWeight is the canary's real traffic share.
	rolloutWeight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "stride_rollout_canary_weight_percent",
		Help: "Share of traffic on the new revision, in percent (without a router, the share of ready pods).",
	}, []string{"namespace", "rollout"})
	// updateDuration measures updates from the new revision's creation to its promotion.
	updateDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "stride_rollout_update_duration_seconds",
		Help:    "Time from a new revision's creation to its promotion to stable.",
		Buckets: []float64{10, 30, 60, 120, 300, 600, 1200, 3600, 7200},
	}, []string{"strategy"})
	// aborts counts aborted updates by reason.
	aborts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stride_rollout_aborts_total",
		Help: "Updates aborted, by reason (Aborted by a person, AnalysisFailed, ProgressDeadlineExceeded).",
	}, []string{"reason"})
	// analysisRuns counts finished AnalysisRuns by phase.
	analysisRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stride_analysis_runs_total",
		Help: "AnalysisRuns finished, by phase (Successful, Failed, Error, Inconclusive).",
	}, []string{"phase"})
)

func init() {
	metrics.Registry.MustRegister(rolloutPhase, rolloutStep, rolloutWeight, updateDuration, aborts, analysisRuns)
}

var phases = []v1alpha1.RolloutPhase{v1alpha1.RolloutPhaseHealthy, v1alpha1.RolloutPhaseProgressing, v1alpha1.RolloutPhasePaused, v1alpha1.RolloutPhaseDegraded}

// recordRolloutMetrics sets the per-Rollout gauges from a status.
func recordRolloutMetrics(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) {
	for _, p := range phases {
		v := 0.0
		if st.Phase == p {
			v = 1
		}
		rolloutPhase.WithLabelValues(ro.Namespace, ro.Name, string(p)).Set(v)
	}
	step := float64(st.StepCount)
	if st.CurrentStepIndex != nil {
		step = float64(*st.CurrentStepIndex)
	}
	rolloutStep.WithLabelValues(ro.Namespace, ro.Name).Set(step)
	w := 0.0
	if st.Weights != nil {
		w = float64(st.Weights.Canary)
	}
	rolloutWeight.WithLabelValues(ro.Namespace, ro.Name).Set(w)
}

// forgetRolloutMetrics drops the series of a deleted Rollout.
func forgetRolloutMetrics(namespace, name string) {
	for _, p := range phases {
		rolloutPhase.DeleteLabelValues(namespace, name, string(p))
	}
	rolloutStep.DeleteLabelValues(namespace, name)
	rolloutWeight.DeleteLabelValues(namespace, name)
}

// strategyName names a Rollout's strategy for metrics.
func strategyName(ro *v1alpha1.Rollout) string {
	switch {
	case ro.Spec.Strategy.Canary != nil:
		return "canary"
	case ro.Spec.Strategy.BlueGreen != nil:
		return "blueGreen"
	case ro.Spec.Strategy.Rolling != nil:
		return "rolling"
	}
	return "unknown"
}
