package analysis

import (
	"testing"
	"time"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// BenchmarkEvaluate measures a cached condition on a scalar and on a vector.
func BenchmarkEvaluate(b *testing.B) {
	c := NewConditions()
	cases := []struct {
		name string
		expr string
		v    Value
	}{
		{"scalar", "result >= 0.99", Scalar(0.995)},
		{"vector-all", "result.all(x, x >= 0.99)", vector(series(0.995, "pod", "a"), series(0.999, "pod", "b"), series(0.991, "pod", "c"))},
		{"series-labels", `series.exists(s, s.labels.pod == "b" && s.value < 0.5)`, vector(series(0.995, "pod", "a"), series(0.4, "pod", "b"))},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if _, err := c.Eval(tc.expr, tc.v); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Eval(tc.expr, tc.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNext measures one step of the state machine for a run of three metrics with a
// full history, one of them due.
func BenchmarkNext(b *testing.B) {
	metrics := []v1alpha1.Metric{
		metric("success-rate", count(100), every("10s")),
		metric("latency", count(100), every("30s")),
		metric("errors", count(100), every("1m")),
	}
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Metrics: metrics}}
	measure := func(ms []*v1alpha1.Metric) []Result {
		out := make([]Result, len(ms))
		for i := range ms {
			out[i] = ok("0.995")
		}
		return out
	}
	// Build a history of 10 measurements per metric.
	now := t0
	for range 20 {
		st, _ := Next(run, now, measure)
		run.Status = st
		now = now.Add(10 * time.Second)
	}
	b.ReportAllocs()
	for b.Loop() {
		Next(run, now, measure)
	}
}
