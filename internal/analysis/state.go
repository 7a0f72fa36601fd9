package analysis

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stride-dev/stride/api/v1alpha1"
)

const (
	// MaxMeasurements is how many measurements of each metric a run keeps in status; the
	// counters keep the totals.
	MaxMeasurements = 10
	// ErrorRetryInterval is the wait before measuring again after an error when the metric
	// has no interval.
	ErrorRetryInterval = 10 * time.Second
	// DefaultConsecutiveErrorLimit applies when a metric does not set consecutiveErrorLimit.
	DefaultConsecutiveErrorLimit = 4
	// minRequeue is the shortest wait Next asks for.
	minRequeue = 100 * time.Millisecond
)

// MeasureFunc takes one measurement of each metric given and returns the results in the
// same order.
type MeasureFunc func(metrics []*v1alpha1.Metric) []Result

// Next advances a run at time now: it takes the measurements that are due (through one call
// of measure, with every due metric), records them, decides the phase of each metric and of
// the run, and says how long to wait until the next measurement is due (0 once the run has
// ended). It does not change run.
//
// Timing, all derived from status so that a restarted controller neither loses nor repeats
// a measurement:
//   - The first measurement of a metric is due at status.startedAt + initialDelay.
//   - The next is due interval after the last one; after an error, interval after it, or
//     ErrorRetryInterval when the metric has no interval.
//   - A metric ends after count measurements; without count and interval after one; without
//     count but with interval it measures until spec.terminate.
//
// Counting: errors are measurements (count, error) but do not count towards the count to
// take; any other measurement resets consecutiveError. A metric is
//   - Error when consecutiveError > consecutiveErrorLimit (default 4), or at once on an error
//     that repeating cannot fix (a condition that does not compile, a PromQL syntax error,
//     an arg without a value);
//   - Failed when failed > failureLimit (default 0);
//   - Inconclusive when inconclusive > inconclusiveLimit (default 0);
//   - Successful when it has taken its measurements without any of these.
//
// The run is Failed as soon as a deciding (not dryRun) metric fails, or Error as soon as one
// errors (Failed wins over Error). Otherwise it is Running while any metric, dryRun ones
// included, still measures; then Inconclusive if a deciding metric is, else Successful.
// spec.terminate ends the metrics still measuring as Successful. The run's message says why
// in words, e.g. "success-rate 0.91 below 0.99" or "success-rate: Prometheus error: ...".
func Next(run *v1alpha1.AnalysisRun, now time.Time, measure MeasureFunc) (v1alpha1.AnalysisRunStatus, time.Duration) {
	st := *run.Status.DeepCopy()
	if st.Phase.Completed() {
		return st, 0
	}
	// Times in status have whole seconds. The run starts at the second it was first seen,
	// so that its first measurements are due at once; a measurement is stamped with the
	// next whole second, so that measurements are never closer than their interval.
	st.ObservedGeneration = run.Generation
	if st.StartedAt == nil {
		started := metav1.NewTime(now.Truncate(time.Second))
		st.StartedAt = &started
	}
	stamp := metav1.NewTime(ceilSecond(now))
	st.Phase = v1alpha1.AnalysisPhaseRunning
	if len(run.Spec.Metrics) == 0 {
		st.Phase, st.Message = v1alpha1.AnalysisPhaseError, "The run has no metrics"
		return st, 0
	}
	results := metricResults(&st, run.Spec.Metrics)

	if run.Spec.Terminate {
		for _, r := range results {
			if !r.Phase.Completed() {
				r.Phase = v1alpha1.AnalysisPhaseSuccessful
				r.Message = ""
			}
		}
		st.Phase, st.Message = aggregate(run.Spec.Metrics, results)
		if st.Phase == v1alpha1.AnalysisPhaseSuccessful {
			st.Message = "Terminated; " + st.Message
		}
		return st, 0
	}

	var due []*v1alpha1.Metric
	var dueResults []*v1alpha1.MetricResult
	for i := range run.Spec.Metrics {
		m, r := &run.Spec.Metrics[i], results[i]
		if r.Phase.Completed() {
			continue
		}
		t, err := nextDue(m, r, st.StartedAt.Time)
		if err == nil {
			err = checkTiming(m)
		}
		if err != nil {
			apply(m, r, errorResult(Permanent(err)), stamp)
			continue
		}
		if !t.After(now) {
			due = append(due, m)
			dueResults = append(dueResults, r)
		}
	}
	if len(due) > 0 {
		out := measure(due)
		for i, m := range due {
			res := Result{Phase: v1alpha1.AnalysisPhaseError, Message: "No result"}
			if i < len(out) {
				res = out[i]
			}
			apply(m, dueResults[i], res, stamp)
		}
	}

	st.Phase, st.Message = aggregate(run.Spec.Metrics, results)
	if st.Phase.Completed() {
		return st, 0
	}
	wait := time.Duration(-1)
	for i := range run.Spec.Metrics {
		m, r := &run.Spec.Metrics[i], results[i]
		if r.Phase.Completed() {
			continue
		}
		t, err := nextDue(m, r, st.StartedAt.Time)
		if err != nil {
			continue
		}
		if d := t.Sub(now); wait < 0 || d < wait {
			wait = d
		}
	}
	if wait < minRequeue {
		wait = minRequeue
	}
	return st, wait
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}

// metricResults returns a result per metric, in the order of the metrics, creating the
// missing ones in st.
func metricResults(st *v1alpha1.AnalysisRunStatus, metrics []v1alpha1.Metric) []*v1alpha1.MetricResult {
	byName := make(map[string]int, len(st.MetricResults))
	for i, r := range st.MetricResults {
		byName[r.Name] = i
	}
	for _, m := range metrics {
		if _, ok := byName[m.Name]; !ok {
			byName[m.Name] = len(st.MetricResults)
			st.MetricResults = append(st.MetricResults, v1alpha1.MetricResult{
				Name: m.Name, Phase: v1alpha1.AnalysisPhasePending, DryRun: m.DryRun,
			})
		}
	}
	out := make([]*v1alpha1.MetricResult, len(metrics))
	for i, m := range metrics {
		out[i] = &st.MetricResults[byName[m.Name]]
	}
	return out
}

// nextDue is when the next measurement of a metric is due.
func nextDue(m *v1alpha1.Metric, r *v1alpha1.MetricResult, started time.Time) (time.Time, error) {
	if r.Count == 0 || len(r.Measurements) == 0 {
		delay, err := durationOr(m.InitialDelay, 0)
		if err != nil {
			return time.Time{}, err
		}
		return started.Add(delay), nil
	}
	interval, err := durationOr(m.Interval, 0)
	if err != nil {
		return time.Time{}, err
	}
	last := r.Measurements[len(r.Measurements)-1]
	if last.Phase == v1alpha1.AnalysisPhaseError && interval == 0 {
		interval = ErrorRetryInterval
	}
	return last.StartedAt.Add(interval), nil
}

// checkTiming reports an invalid interval or initialDelay.
func checkTiming(m *v1alpha1.Metric) error {
	if _, err := durationOr(m.Interval, 0); err != nil {
		return fmt.Errorf("interval: %w", err)
	}
	if _, err := durationOr(m.InitialDelay, 0); err != nil {
		return fmt.Errorf("initialDelay: %w", err)
	}
	return nil
}

// apply records one measurement of m in r and decides r's phase.
func apply(m *v1alpha1.Metric, r *v1alpha1.MetricResult, res Result, stamp metav1.Time) {
	finished := stamp
	r.Measurements = append(r.Measurements, v1alpha1.Measurement{
		Phase: res.Phase, Value: res.Value, Message: res.Message, StartedAt: stamp, FinishedAt: &finished,
	})
	if n := len(r.Measurements); n > MaxMeasurements {
		r.Measurements = append([]v1alpha1.Measurement(nil), r.Measurements[n-MaxMeasurements:]...)
	}
	r.Count++
	switch res.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		r.Successful++
		r.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseFailed:
		r.Failed++
		r.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseInconclusive:
		r.Inconclusive++
		r.ConsecutiveError = 0
	default:
		r.Error++
		r.ConsecutiveError++
	}
	r.Message = ""
	if res.Phase != v1alpha1.AnalysisPhaseSuccessful && res.Message != "" {
		sep := ": "
		if res.valueFirst {
			sep = " "
		}
		r.Message = m.Name + sep + res.Message
	}

	taken := r.Successful + r.Failed + r.Inconclusive
	switch {
	case res.Phase == v1alpha1.AnalysisPhaseError && res.Permanent:
		r.Phase = v1alpha1.AnalysisPhaseError
	case r.ConsecutiveError > limit(m.ConsecutiveErrorLimit, DefaultConsecutiveErrorLimit):
		r.Phase = v1alpha1.AnalysisPhaseError
	case r.Failed > limit(m.FailureLimit, 0):
		r.Phase = v1alpha1.AnalysisPhaseFailed
	case r.Inconclusive > limit(m.InconclusiveLimit, 0):
		r.Phase = v1alpha1.AnalysisPhaseInconclusive
	case done(m, taken):
		r.Phase = v1alpha1.AnalysisPhaseSuccessful
		r.Message = ""
	default:
		r.Phase = v1alpha1.AnalysisPhaseRunning
	}
}

// done reports whether a metric has taken all its measurements.
func done(m *v1alpha1.Metric, taken int32) bool {
	switch {
	case m.Count != nil:
		return taken >= *m.Count
	case m.Interval == nil || *m.Interval == "":
		return taken >= 1
	}
	return false
}

func limit(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

// aggregate decides the run's phase and message from its metrics.
func aggregate(metrics []v1alpha1.Metric, results []*v1alpha1.MetricResult) (v1alpha1.AnalysisPhase, string) {
	var failed, errored, inconclusive, running, dry []string
	var passed []string
	stillRunning := false
	for i, r := range results {
		if metrics[i].DryRun {
			if !r.Phase.Completed() {
				stillRunning = true
			} else if r.Phase != v1alpha1.AnalysisPhaseSuccessful && r.Message != "" {
				dry = append(dry, r.Message)
			}
			continue
		}
		switch r.Phase {
		case v1alpha1.AnalysisPhaseFailed:
			failed = append(failed, r.Message)
		case v1alpha1.AnalysisPhaseError:
			errored = append(errored, r.Message)
		case v1alpha1.AnalysisPhaseInconclusive:
			inconclusive = append(inconclusive, r.Message)
		case v1alpha1.AnalysisPhaseSuccessful:
			if n := len(r.Measurements); n > 0 && r.Measurements[n-1].Value != "" {
				passed = append(passed, r.Name+" "+r.Measurements[n-1].Value)
			}
		default:
			stillRunning = true
			if r.Message != "" {
				running = append(running, r.Message)
			}
		}
	}
	withDry := func(msg string) string {
		if len(dry) == 0 {
			return msg
		}
		if msg != "" {
			msg += "; "
		}
		return msg + "dry run: " + strings.Join(dry, "; ")
	}
	switch {
	case len(failed) > 0:
		return v1alpha1.AnalysisPhaseFailed, strings.Join(append(failed, errored...), "; ")
	case len(errored) > 0:
		return v1alpha1.AnalysisPhaseError, strings.Join(errored, "; ")
	case stillRunning:
		return v1alpha1.AnalysisPhaseRunning, withDry(strings.Join(running, "; "))
	case len(inconclusive) > 0:
		return v1alpha1.AnalysisPhaseInconclusive, withDry(strings.Join(inconclusive, "; "))
	}
	msg := "Passed"
	if len(passed) > 0 {
		msg += ": " + strings.Join(passed, ", ")
	}
	return v1alpha1.AnalysisPhaseSuccessful, withDry(msg)
}
