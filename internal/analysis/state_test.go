package analysis

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ok(v string) Result {
	return Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: v}
}

func bad(v, msg string) Result {
	return Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: v, Message: msg, valueFirst: true}
}

func unsure(msg string) Result {
	return Result{Phase: v1alpha1.AnalysisPhaseInconclusive, Message: msg}
}

func fail(msg string) Result {
	return Result{Phase: v1alpha1.AnalysisPhaseError, Message: msg}
}

func count(n int32) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.Count = &n }
}

func every(d string) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.Interval = ptr.To(v1alpha1.Duration(d)) }
}

func delay(d string) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.InitialDelay = ptr.To(v1alpha1.Duration(d)) }
}

func failureLimit(n int32) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.FailureLimit = &n }
}

func inconclusiveLimit(n int32) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.InconclusiveLimit = &n }
}

func errorLimit(n int32) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.ConsecutiveErrorLimit = &n }
}

func dryRun(m *v1alpha1.Metric) { m.DryRun = true }

// tick is one call of Next in a simulation.
type tick struct {
	at        time.Duration     // since t0
	terminate bool              // set spec.terminate before this call
	results   map[string]Result // what a measurement of each metric returns

	measured []string // metrics Next must measure, in order
	phase    v1alpha1.AnalysisPhase
	message  string
	requeue  time.Duration
}

// simulate calls Next for each tick, passing the run's status through JSON between calls as
// the API server would, and checks what was measured, the phase, message and requeue.
func simulate(t *testing.T, metrics []v1alpha1.Metric, ticks []tick) *v1alpha1.AnalysisRun {
	t.Helper()
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: metrics}}
	run.Generation = 1
	for i, tk := range ticks {
		if tk.terminate {
			run.Spec.Terminate = true
		}
		var measured []string
		measure := func(ms []*v1alpha1.Metric) []Result {
			out := make([]Result, len(ms))
			for j, m := range ms {
				measured = append(measured, m.Name)
				r, found := tk.results[m.Name]
				if !found {
					t.Fatalf("tick %d: unexpected measurement of %s", i, m.Name)
				}
				out[j] = r
			}
			return out
		}
		st, requeue := Next(run, t0.Add(tk.at), measure)
		if diff := cmp.Diff(tk.measured, measured); diff != "" {
			t.Fatalf("tick %d (t0+%s): measured (-want +got):\n%s", i, tk.at, diff)
		}
		if st.Phase != tk.phase || st.Message != tk.message {
			t.Fatalf("tick %d (t0+%s): phase %s %q, want %s %q", i, tk.at, st.Phase, st.Message, tk.phase, tk.message)
		}
		if requeue != tk.requeue {
			t.Fatalf("tick %d (t0+%s): requeue %s, want %s", i, tk.at, requeue, tk.requeue)
		}
		if st.ObservedGeneration != 1 {
			t.Fatalf("tick %d: observedGeneration %d, want 1", i, st.ObservedGeneration)
		}
		run.Status = roundTrip(t, st)
	}
	return run
}

func roundTrip(t *testing.T, st v1alpha1.AnalysisRunStatus) v1alpha1.AnalysisRunStatus {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out v1alpha1.AnalysisRunStatus
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func resultOf(t *testing.T, run *v1alpha1.AnalysisRun, name string) v1alpha1.MetricResult {
	t.Helper()
	for _, r := range run.Status.MetricResults {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no result for metric %s", name)
	return v1alpha1.MetricResult{}
}

type counters struct {
	Phase                                                       v1alpha1.AnalysisPhase
	Count, Successful, Failed, Inconclusive, Error, Consecutive int32
	Kept                                                        int
}

func countersOf(r v1alpha1.MetricResult) counters {
	return counters{r.Phase, r.Count, r.Successful, r.Failed, r.Inconclusive, r.Error, r.ConsecutiveError, len(r.Measurements)}
}

const (
	running      = v1alpha1.AnalysisPhaseRunning
	successful   = v1alpha1.AnalysisPhaseSuccessful
	failed       = v1alpha1.AnalysisPhaseFailed
	errored      = v1alpha1.AnalysisPhaseError
	inconclusive = v1alpha1.AnalysisPhaseInconclusive
)

func TestNext(t *testing.T) {
	sr := "success-rate"
	lat := "latency"
	tests := []struct {
		name    string
		metrics []v1alpha1.Metric
		ticks   []tick
		want    map[string]counters
	}{
		{
			name:    "no count and no interval: one measurement",
			metrics: []v1alpha1.Metric{metric(sr)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("0.995")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 0.995"},
				{at: time.Minute, phase: successful, message: "Passed: success-rate 0.995"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 1, Successful: 1, Kept: 1}},
		},
		{
			name:    "initial delay, then count measurements every interval",
			metrics: []v1alpha1.Metric{metric(sr, delay("10s"), count(3), every("5s"))},
			ticks: []tick{
				{at: 0, phase: running, requeue: 10 * time.Second},
				{at: 4 * time.Second, phase: running, requeue: 6 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 5 * time.Second},
				{at: 12 * time.Second, phase: running, requeue: 3 * time.Second},
				{at: 15 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 5 * time.Second},
				{at: 20 * time.Second, results: map[string]Result{sr: ok("0.99")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 0.99"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 3, Successful: 3, Kept: 3}},
		},
		{
			name:    "measurements are at least an interval apart although status keeps whole seconds",
			metrics: []v1alpha1.Metric{metric(sr, count(3), every("1s"))},
			ticks: []tick{
				{at: 900 * time.Millisecond, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 1100 * time.Millisecond},
				{at: 1500 * time.Millisecond, phase: running, requeue: 500 * time.Millisecond},
				{at: 2 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: time.Second},
				{at: 3*time.Second + 100*time.Millisecond, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 1"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 3, Successful: 3, Kept: 3}},
		},
		{
			name:    "a late reconcile takes one measurement, not the missed ones",
			metrics: []v1alpha1.Metric{metric(sr, count(3), every("10s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 10 * time.Second},
				{at: 45 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 10 * time.Second},
				{at: 45 * time.Second, phase: running, requeue: 10 * time.Second},
				{at: 55 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 1"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 3, Successful: 3, Kept: 3}},
		},
		{
			name:    "failures within failureLimit are tolerated",
			metrics: []v1alpha1.Metric{metric(sr, count(3), every("10s"), failureLimit(1))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: bad("0.91", "0.91 below 0.99")}, measured: []string{sr}, phase: running, message: "success-rate 0.91 below 0.99", requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 10 * time.Second},
				{at: 20 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 1"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 3, Successful: 2, Failed: 1, Kept: 3}},
		},
		{
			name:    "failed > failureLimit fails the metric and the run at once",
			metrics: []v1alpha1.Metric{metric(sr, count(5), every("10s"), failureLimit(1)), metric(lat, count(5), every("10s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: bad("0.91", "0.91 below 0.99"), lat: ok("120")}, measured: []string{sr, lat}, phase: running, message: "success-rate 0.91 below 0.99", requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: bad("0.9", "0.9 below 0.99"), lat: ok("120")}, measured: []string{sr, lat}, phase: failed, message: "success-rate 0.9 below 0.99"},
				{at: 20 * time.Second, phase: failed, message: "success-rate 0.9 below 0.99"},
			},
			want: map[string]counters{
				sr:  {Phase: failed, Count: 2, Failed: 2, Kept: 2},
				lat: {Phase: running, Count: 2, Successful: 2, Kept: 2},
			},
		},
		{
			name:    "inconclusive > inconclusiveLimit waits for the other metrics, then is inconclusive",
			metrics: []v1alpha1.Metric{metric(sr, count(3), every("10s")), metric(lat, count(2), every("10s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: unsure("no data (query returned no series)"), lat: ok("120")}, measured: []string{sr, lat}, phase: running, requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{lat: ok("110")}, measured: []string{lat}, phase: inconclusive, message: "success-rate: no data (query returned no series)"},
			},
			want: map[string]counters{
				sr:  {Phase: inconclusive, Count: 1, Inconclusive: 1, Kept: 1},
				lat: {Phase: successful, Count: 2, Successful: 2, Kept: 2},
			},
		},
		{
			name:    "inconclusive within the limit is tolerated",
			metrics: []v1alpha1.Metric{metric(sr, count(2), every("10s"), inconclusiveLimit(1))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: unsure("result is NaN")}, measured: []string{sr}, phase: running, message: "success-rate: result is NaN", requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 1"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 2, Successful: 1, Inconclusive: 1, Kept: 2}},
		},
		{
			name:    "consecutive errors above the limit error the run; a success resets them",
			metrics: []v1alpha1.Metric{metric(sr, count(10), every("5s"), errorLimit(2))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: fail("Prometheus error: down")}, measured: []string{sr}, phase: running, message: "success-rate: Prometheus error: down", requeue: 5 * time.Second},
				{at: 5 * time.Second, results: map[string]Result{sr: fail("Prometheus error: down")}, measured: []string{sr}, phase: running, message: "success-rate: Prometheus error: down", requeue: 5 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 5 * time.Second},
				{at: 15 * time.Second, results: map[string]Result{sr: fail("Prometheus error: down")}, measured: []string{sr}, phase: running, message: "success-rate: Prometheus error: down", requeue: 5 * time.Second},
				{at: 20 * time.Second, results: map[string]Result{sr: fail("Prometheus error: down")}, measured: []string{sr}, phase: running, message: "success-rate: Prometheus error: down", requeue: 5 * time.Second},
				{at: 25 * time.Second, results: map[string]Result{sr: fail("Prometheus error: still down")}, measured: []string{sr}, phase: errored, message: "success-rate: Prometheus error: still down"},
			},
			want: map[string]counters{sr: {Phase: errored, Count: 6, Successful: 1, Error: 5, Consecutive: 3, Kept: 6}},
		},
		{
			name:    "an inconclusive or failed measurement also ends a row of errors",
			metrics: []v1alpha1.Metric{metric(sr, count(10), every("5s"), errorLimit(1), failureLimit(5), inconclusiveLimit(5))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: fail("e")}, measured: []string{sr}, phase: running, message: "success-rate: e", requeue: 5 * time.Second},
				{at: 5 * time.Second, results: map[string]Result{sr: unsure("no data")}, measured: []string{sr}, phase: running, message: "success-rate: no data", requeue: 5 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: fail("e")}, measured: []string{sr}, phase: running, message: "success-rate: e", requeue: 5 * time.Second},
				{at: 15 * time.Second, results: map[string]Result{sr: bad("0.5", "0.5 below 0.9")}, measured: []string{sr}, phase: running, message: "success-rate 0.5 below 0.9", requeue: 5 * time.Second},
				{at: 20 * time.Second, results: map[string]Result{sr: fail("e")}, measured: []string{sr}, phase: running, message: "success-rate: e", requeue: 5 * time.Second},
			},
			want: map[string]counters{sr: {Phase: running, Count: 5, Failed: 1, Inconclusive: 1, Error: 3, Consecutive: 1, Kept: 5}},
		},
		{
			name:    "errors do not count towards count; without interval they are retried after a pause",
			metrics: []v1alpha1.Metric{metric(sr)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: fail("Prometheus error: down")}, measured: []string{sr}, phase: running, message: "success-rate: Prometheus error: down", requeue: ErrorRetryInterval},
				{at: 5 * time.Second, phase: running, message: "success-rate: Prometheus error: down", requeue: 5 * time.Second},
				{at: ErrorRetryInterval, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: successful, message: "Passed: success-rate 1"},
			},
			want: map[string]counters{sr: {Phase: successful, Count: 2, Successful: 1, Error: 1, Kept: 2}},
		},
		{
			name:    "consecutiveErrorLimit defaults to 4",
			metrics: []v1alpha1.Metric{metric(sr, every("1s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: fail("x")}, measured: []string{sr}, phase: running, message: "success-rate: x", requeue: time.Second},
				{at: 1 * time.Second, results: map[string]Result{sr: fail("x")}, measured: []string{sr}, phase: running, message: "success-rate: x", requeue: time.Second},
				{at: 2 * time.Second, results: map[string]Result{sr: fail("x")}, measured: []string{sr}, phase: running, message: "success-rate: x", requeue: time.Second},
				{at: 3 * time.Second, results: map[string]Result{sr: fail("x")}, measured: []string{sr}, phase: running, message: "success-rate: x", requeue: time.Second},
				{at: 4 * time.Second, results: map[string]Result{sr: fail("x")}, measured: []string{sr}, phase: errored, message: "success-rate: x"},
			},
			want: map[string]counters{sr: {Phase: errored, Count: 5, Error: 5, Consecutive: 5, Kept: 5}},
		},
		{
			name:    "a permanent error errors the metric at once",
			metrics: []v1alpha1.Metric{metric(sr, count(5), every("10s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: {Phase: errored, Message: "Prometheus error: bad_data: 1:5: parse error: unexpected <EOF>", Permanent: true}},
					measured: []string{sr}, phase: errored, message: "success-rate: Prometheus error: bad_data: 1:5: parse error: unexpected <EOF>"},
			},
			want: map[string]counters{sr: {Phase: errored, Count: 1, Error: 1, Consecutive: 1, Kept: 1}},
		},
		{
			name:    "Failed wins over Error",
			metrics: []v1alpha1.Metric{metric(sr), metric(lat)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: {Phase: errored, Message: "boom", Permanent: true}, lat: bad("900", "900 above 500")},
					measured: []string{sr, lat}, phase: failed, message: "latency 900 above 500; success-rate: boom"},
			},
		},
		{
			name:    "a dry-run metric reports but does not decide",
			metrics: []v1alpha1.Metric{metric(sr), metric(lat, dryRun)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1"), lat: bad("900", "900 above 500")}, measured: []string{sr, lat},
					phase: successful, message: "Passed: success-rate 1; dry run: latency 900 above 500"},
			},
			want: map[string]counters{
				sr:  {Phase: successful, Count: 1, Successful: 1, Kept: 1},
				lat: {Phase: failed, Count: 1, Failed: 1, Kept: 1},
			},
		},
		{
			name:    "a dry-run error does not end the run",
			metrics: []v1alpha1.Metric{metric(sr, count(2), every("10s")), metric(lat, dryRun)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1"), lat: {Phase: errored, Message: "boom", Permanent: true}}, measured: []string{sr, lat},
					phase: running, message: "dry run: latency: boom", requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr},
					phase: successful, message: "Passed: success-rate 1; dry run: latency: boom"},
			},
		},
		{
			name:    "the run waits for dry-run metrics",
			metrics: []v1alpha1.Metric{metric(sr), metric(lat, dryRun, count(2), every("10s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1"), lat: ok("100")}, measured: []string{sr, lat}, phase: running, requeue: 10 * time.Second},
				{at: 10 * time.Second, results: map[string]Result{lat: ok("100")}, measured: []string{lat}, phase: successful, message: "Passed: success-rate 1"},
			},
		},
		{
			name:    "only dry-run metrics: the run passes",
			metrics: []v1alpha1.Metric{metric(lat, dryRun)},
			ticks: []tick{
				{at: 0, results: map[string]Result{lat: bad("900", "900 above 500")}, measured: []string{lat}, phase: successful, message: "Passed; dry run: latency 900 above 500"},
			},
		},
		{
			name:    "no count with an interval measures until terminate",
			metrics: []v1alpha1.Metric{metric(sr, every("30s"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 30 * time.Second},
				{at: 30 * time.Second, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 30 * time.Second},
				{at: 60 * time.Second, results: map[string]Result{sr: bad("0.5", "0.5 below 0.9")}, measured: []string{sr}, phase: failed, message: "success-rate 0.5 below 0.9"},
			},
		},
		{
			name:    "terminate ends a measuring run as Successful",
			metrics: []v1alpha1.Metric{metric(sr, every("30s")), metric(lat, delay("1h"))},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1")}, measured: []string{sr}, phase: running, requeue: 30 * time.Second},
				{at: 30 * time.Second, results: map[string]Result{sr: ok("0.999")}, measured: []string{sr}, phase: running, requeue: 30 * time.Second},
				{at: 40 * time.Second, terminate: true, phase: successful, message: "Terminated; Passed: success-rate 0.999"},
			},
			want: map[string]counters{
				sr:  {Phase: successful, Count: 2, Successful: 2, Kept: 2},
				lat: {Phase: successful},
			},
		},
		{
			name:    "terminate keeps an inconclusive metric inconclusive",
			metrics: []v1alpha1.Metric{metric(sr, every("30s")), metric(lat)},
			ticks: []tick{
				{at: 0, results: map[string]Result{sr: ok("1"), lat: unsure("no data")}, measured: []string{sr, lat}, phase: running, requeue: 30 * time.Second},
				{at: 10 * time.Second, terminate: true, phase: inconclusive, message: "latency: no data"},
			},
		},
		{
			name:    "an invalid interval is a permanent error",
			metrics: []v1alpha1.Metric{metric(sr, every("soon"), count(2))},
			ticks: []tick{
				{at: 0, phase: errored, message: `success-rate: interval: parse duration "soon": time: invalid duration "soon"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := simulate(t, tt.metrics, tt.ticks)
			for name, want := range tt.want {
				if diff := cmp.Diff(want, countersOf(resultOf(t, run, name))); diff != "" {
					t.Errorf("metric %s counters (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func TestNextKeepsTheLastMeasurements(t *testing.T) {
	var ticks []tick
	for i := range 12 {
		ph := running
		msg := ""
		var rq time.Duration = time.Second
		if i == 11 {
			ph, msg, rq = successful, "Passed: success-rate 11", 0
		}
		ticks = append(ticks, tick{at: time.Duration(i) * time.Second, results: map[string]Result{"success-rate": ok(itoa(i))},
			measured: []string{"success-rate"}, phase: ph, message: msg, requeue: rq})
	}
	run := simulate(t, []v1alpha1.Metric{metric("success-rate", count(12), every("1s"))}, ticks)
	r := resultOf(t, run, "success-rate")
	if diff := cmp.Diff(counters{Phase: successful, Count: 12, Successful: 12, Kept: MaxMeasurements}, countersOf(r)); diff != "" {
		t.Fatalf("counters (-want +got):\n%s", diff)
	}
	var values []string
	for _, m := range r.Measurements {
		values = append(values, m.Value)
	}
	if diff := cmp.Diff(strings.Fields("2 3 4 5 6 7 8 9 10 11"), values); diff != "" {
		t.Fatalf("kept values, oldest first (-want +got):\n%s", diff)
	}
	if got, want := r.Measurements[9].StartedAt.Time, t0.Add(11*time.Second); !got.Equal(want) {
		t.Fatalf("last measurement at %s, want %s", got, want)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestNextStartsTheRun(t *testing.T) {
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric("a", delay("1m")), metric("b", dryRun, delay("1m"))}}}
	run.Generation = 3
	st, requeue := Next(run, t0.Add(500*time.Millisecond), func([]*v1alpha1.Metric) []Result {
		t.Fatal("nothing is due")
		return nil
	})
	want := v1alpha1.AnalysisRunStatus{
		Phase:              running,
		StartedAt:          ptr.To(metav1Time(t0)),
		ObservedGeneration: 3,
		MetricResults: []v1alpha1.MetricResult{
			{Name: "a", Phase: v1alpha1.AnalysisPhasePending},
			{Name: "b", Phase: v1alpha1.AnalysisPhasePending, DryRun: true},
		},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Fatalf("status (-want +got):\n%s", diff)
	}
	if requeue != time.Minute-500*time.Millisecond {
		t.Fatalf("requeue %s, want 59.5s", requeue)
	}
	if run.Status.Phase != "" {
		t.Fatal("Next changed the run it was given")
	}
}

func TestNextLeavesACompletedRunAlone(t *testing.T) {
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Terminate: true, Metrics: []v1alpha1.Metric{metric("a", every("1s"))}}}
	run.Status = v1alpha1.AnalysisRunStatus{Phase: failed, Message: "a 1 below 2", ObservedGeneration: 1}
	run.Generation = 2
	st, requeue := Next(run, t0, func([]*v1alpha1.Metric) []Result {
		t.Fatal("a completed run is not measured")
		return nil
	})
	if diff := cmp.Diff(run.Status, st); diff != "" {
		t.Fatalf("status changed (-want +got):\n%s", diff)
	}
	if requeue != 0 {
		t.Fatalf("requeue %s, want 0", requeue)
	}
}

func TestNextIsIdempotentWithoutTime(t *testing.T) {
	// A second reconcile at the same instant, e.g. triggered by the status patch of the
	// first, measures nothing and changes nothing.
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric("a", count(3), every("10s"))}}}
	calls := 0
	measure := func(ms []*v1alpha1.Metric) []Result {
		calls++
		return []Result{ok("1")}
	}
	st, _ := Next(run, t0, measure)
	run.Status = roundTrip(t, st)
	st2, requeue := Next(run, t0.Add(time.Second), measure)
	if calls != 1 {
		t.Fatalf("measured %d times, want 1", calls)
	}
	if diff := cmp.Diff(run.Status, st2); diff != "" {
		t.Fatalf("status changed (-want +got):\n%s", diff)
	}
	if requeue != 9*time.Second {
		t.Fatalf("requeue %s, want 9s", requeue)
	}
}

func metav1Time(t time.Time) metav1.Time { return metav1.NewTime(t) }
