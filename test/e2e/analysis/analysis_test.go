// Package analysis_test runs AnalysisRuns end to end: the AnalysisRun controller runs
// in-process against the local control plane and measures a real Prometheus server that
// scrapes a metrics source the tests control.
package analysis_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
	"github.com/stride-dev/stride/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Run(m, framework.Options{NewManager: newManager, Prometheus: true}))
}

// newManager runs only the AnalysisRun controller.
func newManager(cfg *rest.Config) (manager.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 framework.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, err
	}
	r := &controllers.AnalysisRunReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("stride"),
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

const gauge = "e2e_success_rate"

// TestPrometheusDownErrorsAfterTheLimit: with Prometheus stopped mid-run, the metric errors
// once consecutiveErrorLimit is exceeded, and the message carries the connection error.
func TestPrometheusDownErrorsAfterTheLimit(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	env.Metrics.SetGauge(gauge, map[string]string{"service": "down"}, 1)
	env.WaitForSeries(t, gauge+`{service="down"}`)

	m := promMetric("success-rate", gauge+`{service="down"}`, "result >= 0.99")
	m.Count = ptr.To[int32](30)
	m.Interval = ptr.To(v1alpha1.Duration("1s"))
	m.ConsecutiveErrorLimit = ptr.To[int32](2)
	create(t, run(ns, "down", m))
	waitFor(t, ns, "down", "a first successful measurement", time.Minute, func(r *v1alpha1.AnalysisRun) bool {
		return metricResult(r, "success-rate").Successful >= 1
	})

	env.StopPrometheus()
	t.Cleanup(func() {
		if err := env.StartPrometheus(); err != nil {
			t.Fatalf("restart Prometheus: %v", err)
		}
		env.WaitForSeries(t, gauge+`{service="down"}`)
	})
	r := waitFor(t, ns, "down", "phase Error", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	mr := metricResult(r, "success-rate")
	t.Logf("Run %s: %s", r.Status.Phase, r.Status.Message)
	if r.Status.Phase != v1alpha1.AnalysisPhaseError || mr.Phase != v1alpha1.AnalysisPhaseError {
		t.Fatalf("run %s, metric %s, want Error: %q", r.Status.Phase, mr.Phase, r.Status.Message)
	}
	if mr.ConsecutiveError != 3 || mr.Error != 3 {
		t.Fatalf("consecutiveError %d, error %d, want 3 and 3 (limit 2)", mr.ConsecutiveError, mr.Error)
	}
	if !strings.HasPrefix(r.Status.Message, "success-rate: Prometheus error: ") || !strings.Contains(r.Status.Message, "connection refused") {
		t.Fatalf("message %q, want the connection error", r.Status.Message)
	}
	waitForEvent(t, ns, "down", v1alpha1.EventAnalysisFailed)
}

// TestRestartContinuesTheRun: a run survives an operator restart without losing or
// repeating measurements.
func TestRestartContinuesTheRun(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	env.Metrics.SetGauge(gauge, map[string]string{"service": "restart"}, 0.995)
	env.WaitForSeries(t, gauge+`{service="restart"}`)

	const interval = 2 * time.Second
	m := promMetric("success-rate", gauge+`{service="restart"}`, "result >= 0.99")
	m.Count = ptr.To[int32](6)
	m.Interval = ptr.To(v1alpha1.Duration(interval.String()))
	create(t, run(ns, "restart", m))
	waitFor(t, ns, "restart", "two measurements", time.Minute, func(r *v1alpha1.AnalysisRun) bool {
		return metricResult(r, "success-rate").Count >= 2
	})

	env.StopManager()
	stopped := get(t, ns, "restart")
	before := metricResult(stopped, "success-rate")
	last := before.Measurements[len(before.Measurements)-1].StartedAt.Time
	// Stay down until a measurement has fallen due and a second more.
	framework.Eventually(t, time.Minute, "the next measurement to fall due while the operator is down", func() (bool, error) {
		return time.Now().After(last.Add(interval + 2*time.Second)), nil
	})
	if now := metricResult(get(t, ns, "restart"), "success-rate"); now.Count != before.Count {
		t.Fatalf("measurements went on while the operator was stopped: %d -> %d", before.Count, now.Count)
	}
	restarted := time.Now()
	if err := env.StartManager(); err != nil {
		t.Fatalf("restart the operator: %v", err)
	}

	r := waitFor(t, ns, "restart", "phase Successful", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	mr := metricResult(r, "success-rate")
	if r.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("run %s: %q", r.Status.Phase, r.Status.Message)
	}
	if mr.Count != 6 || mr.Successful != 6 || len(mr.Measurements) != 6 {
		t.Fatalf("count %d, successful %d, kept %d; want 6, 6, 6", mr.Count, mr.Successful, len(mr.Measurements))
	}
	// The first measurements are the ones taken before the restart, unchanged.
	for i := range before.Count {
		if !mr.Measurements[i].StartedAt.Equal(&before.Measurements[i].StartedAt) {
			t.Fatalf("measurement %d changed across the restart", i)
		}
	}
	// The rest came after the restart, each at least an interval after the one before.
	if first := mr.Measurements[before.Count].StartedAt.Time; first.Before(restarted.Truncate(time.Second)) {
		t.Fatalf("measurement %d at %s, before the restart at %s", before.Count, first, restarted)
	}
	for i := 1; i < len(mr.Measurements); i++ {
		gap := mr.Measurements[i].StartedAt.Sub(mr.Measurements[i-1].StartedAt.Time)
		if gap < interval {
			t.Fatalf("measurements %d and %d are %s apart, less than the interval %s", i-1, i, gap, interval)
		}
	}
}

// TestHealthyMetricPasses: a metric within its threshold passes; its arg comes from a Secret.
func TestHealthyMetricPasses(t *testing.T) {
	t.Parallel()
	env := framework.Default
	ns := env.Namespace(t)
	env.Metrics.SetGauge(gauge, map[string]string{"service": "healthy"}, 0.995)
	env.WaitForSeries(t, gauge+`{service="healthy"}`)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "args", Namespace: ns}, StringData: map[string]string{"service": "healthy"}}
	if err := env.Client.Create(ctx(t), secret); err != nil {
		t.Fatal(err)
	}

	m := promMetric("success-rate", gauge+`{service="{{args.service}}"}`, "result >= 0.99")
	m.Count = ptr.To[int32](3)
	m.Interval = ptr.To(v1alpha1.Duration("1s"))
	ar := run(ns, "healthy", m)
	ar.Spec.Args = []v1alpha1.Argument{{Name: "service", ValueFrom: &v1alpha1.ArgumentValueFrom{
		SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "args", Key: "service"}}}}
	create(t, ar)

	r := waitFor(t, ns, "healthy", "the run to end", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	mr := metricResult(r, "success-rate")
	if r.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || r.Status.Message != "Passed: success-rate [0.995]" {
		t.Fatalf("run %s %q, want Successful %q", r.Status.Phase, r.Status.Message, "Passed: success-rate [0.995]")
	}
	if mr.Count != 3 || mr.Successful != 3 || mr.Measurements[2].Value != "[0.995]" {
		t.Fatalf("metric %+v, want 3 successful measurements of [0.995]", mr)
	}
	waitForEvent(t, ns, "healthy", v1alpha1.EventAnalysisPassed)
}

// TestUnhealthyMetricFails: a metric below its threshold fails, in words.
func TestUnhealthyMetricFails(t *testing.T) {
	t.Parallel()
	env := framework.Default
	ns := env.Namespace(t)
	env.Metrics.SetGauge(gauge, map[string]string{"service": "unhealthy"}, 0.91)
	env.WaitForSeries(t, gauge+`{service="unhealthy"}`)

	m := promMetric("success-rate", `sum(`+gauge+`{service="unhealthy"})`, "result >= 0.99")
	m.Count = ptr.To[int32](5)
	m.Interval = ptr.To(v1alpha1.Duration("1s"))
	m.FailureLimit = ptr.To[int32](1)
	create(t, run(ns, "unhealthy", m))

	r := waitFor(t, ns, "unhealthy", "the run to end", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	mr := metricResult(r, "success-rate")
	if r.Status.Phase != v1alpha1.AnalysisPhaseFailed || r.Status.Message != "success-rate 0.91 below 0.99" {
		t.Fatalf("run %s %q, want Failed %q", r.Status.Phase, r.Status.Message, "success-rate 0.91 below 0.99")
	}
	if mr.Failed != 2 || mr.Count != 2 {
		t.Fatalf("failed %d of %d measurements, want 2 of 2 (failureLimit 1)", mr.Failed, mr.Count)
	}
	if gap := mr.Measurements[1].StartedAt.Sub(mr.Measurements[0].StartedAt.Time); gap < time.Second {
		t.Fatalf("measurements %s apart, less than the interval 1s", gap)
	}
	waitForEvent(t, ns, "unhealthy", v1alpha1.EventAnalysisFailed)
}

// TestNoData: a query without series is Inconclusive by default, Failed with noDataPolicy
// Fail and Successful with noDataPolicy Pass.
func TestNoData(t *testing.T) {
	t.Parallel()
	env := framework.Default
	ns := env.Namespace(t)
	query := gauge + `{service="nobody"}`
	for _, tt := range []struct {
		policy v1alpha1.NoDataPolicy
		phase  v1alpha1.AnalysisPhase
		msg    string
	}{
		{"", v1alpha1.AnalysisPhaseInconclusive, "success-rate: no data (query returned no series)"},
		{v1alpha1.NoDataFail, v1alpha1.AnalysisPhaseFailed, "success-rate: no data (query returned no series)"},
		{v1alpha1.NoDataPass, v1alpha1.AnalysisPhaseSuccessful, "Passed"},
	} {
		name := "nodata-" + strings.ToLower(string(tt.phase))
		m := promMetric("success-rate", query, "result >= 0.99")
		m.NoDataPolicy = tt.policy
		create(t, run(ns, name, m))
		r := waitFor(t, ns, name, "the run to end", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
		if r.Status.Phase != tt.phase || r.Status.Message != tt.msg {
			t.Errorf("noDataPolicy %q: run %s %q, want %s %q", tt.policy, r.Status.Phase, r.Status.Message, tt.phase, tt.msg)
		}
		if mr := metricResult(r, "success-rate"); mr.Measurements[0].Message != "no data (query returned no series)" &&
			mr.Measurements[0].Message != "no data (query returned no series), counted as a pass" {
			t.Errorf("noDataPolicy %q: measurement message %q", tt.policy, mr.Measurements[0].Message)
		}
	}
}

// TestPromQLSyntaxError: Prometheus's own message reaches status, and the metric errors at
// once.
func TestPromQLSyntaxError(t *testing.T) {
	t.Parallel()
	env := framework.Default
	ns := env.Namespace(t)
	create(t, run(ns, "syntax", promMetric("success-rate", `sum(rate(`+gauge+`[1m])`, "result >= 0.99")))
	r := waitFor(t, ns, "syntax", "the run to end", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	mr := metricResult(r, "success-rate")
	t.Logf("Run %s: %s", r.Status.Phase, r.Status.Message)
	if r.Status.Phase != v1alpha1.AnalysisPhaseError || mr.Count != 1 {
		t.Fatalf("run %s after %d measurements, want Error after 1: %q", r.Status.Phase, mr.Count, r.Status.Message)
	}
	const want = "success-rate: Prometheus error: bad_data: "
	if !strings.HasPrefix(r.Status.Message, want) || !strings.Contains(r.Status.Message, "parse error") {
		t.Fatalf("message %q, want %q and Prometheus's parse error", r.Status.Message, want)
	}
}

// TestTerminateEndsAnOpenEndedRun: a metric without count measures until spec.terminate.
func TestTerminateEndsAnOpenEndedRun(t *testing.T) {
	t.Parallel()
	env := framework.Default
	ns := env.Namespace(t)
	env.Metrics.SetGauge(gauge, map[string]string{"service": "background"}, 1)
	env.WaitForSeries(t, gauge+`{service="background"}`)
	m := promMetric("success-rate", gauge+`{service="background"}`, "result >= 0.99")
	m.Interval = ptr.To(v1alpha1.Duration("1s"))
	create(t, run(ns, "background", m))
	waitFor(t, ns, "background", "two measurements", time.Minute, func(r *v1alpha1.AnalysisRun) bool {
		return metricResult(r, "success-rate").Count >= 2
	})
	r := get(t, ns, "background")
	if r.Status.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Fatalf("an open-ended run is %s before terminate", r.Status.Phase)
	}
	patch := client.MergeFrom(r.DeepCopy())
	r.Spec.Terminate = true
	if err := env.Client.Patch(ctx(t), r, patch); err != nil {
		t.Fatal(err)
	}
	r = waitFor(t, ns, "background", "the run to end", time.Minute, func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	if r.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || !strings.HasPrefix(r.Status.Message, "Terminated; Passed: success-rate [1]") {
		t.Fatalf("run %s %q, want Successful after terminate", r.Status.Phase, r.Status.Message)
	}
}

func promMetric(name, query, success string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:             name,
		SuccessCondition: success,
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: framework.Default.PrometheusURL,
			Query:   query,
			Timeout: ptr.To(v1alpha1.Duration("2s")),
		}},
	}
}

func run(ns, name string, metrics ...v1alpha1.Metric) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.AnalysisRunSpec{Metrics: metrics},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func create(t *testing.T, r *v1alpha1.AnalysisRun) {
	t.Helper()
	if err := framework.Default.Client.Create(ctx(t), r); err != nil {
		t.Fatalf("create AnalysisRun %s: %v", r.Name, err)
	}
}

func get(t *testing.T, ns, name string) *v1alpha1.AnalysisRun {
	t.Helper()
	r := &v1alpha1.AnalysisRun{}
	if err := framework.Default.Client.Get(ctx(t), types.NamespacedName{Namespace: ns, Name: name}, r); err != nil {
		t.Fatalf("get AnalysisRun %s: %v", name, err)
	}
	return r
}

// waitFor polls the run until cond holds and returns it.
func waitFor(t *testing.T, ns, name, what string, timeout time.Duration, cond func(*v1alpha1.AnalysisRun) bool) *v1alpha1.AnalysisRun {
	t.Helper()
	var last *v1alpha1.AnalysisRun
	framework.Eventually(t, timeout, fmt.Sprintf("AnalysisRun %s: %s", name, what), func() (bool, error) {
		r := &v1alpha1.AnalysisRun{}
		if err := framework.Default.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, r); err != nil {
			return false, err
		}
		last = r
		if cond(r) {
			return true, nil
		}
		return false, fmt.Errorf("phase %q, message %q", r.Status.Phase, r.Status.Message)
	})
	return last
}

func metricResult(r *v1alpha1.AnalysisRun, name string) v1alpha1.MetricResult {
	for _, m := range r.Status.MetricResults {
		if m.Name == name {
			return m
		}
	}
	return v1alpha1.MetricResult{}
}

// waitForEvent waits for an event with reason on the run.
func waitForEvent(t *testing.T, ns, name, reason string) {
	t.Helper()
	framework.Eventually(t, 30*time.Second, fmt.Sprintf("event %s on AnalysisRun %s", reason, name), func() (bool, error) {
		list, err := framework.Default.Clientset.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if e.Regarding.Kind == "AnalysisRun" && e.Regarding.Name == name && e.Reason == reason {
				return true, nil
			}
		}
		return false, nil
	})
}
