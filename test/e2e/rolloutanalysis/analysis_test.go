// Package rolloutanalysis_test drives canaries whose steps are decided by a real Prometheus
// server scraping a metrics source the tests control, on the local control plane.
package rolloutanalysis_test

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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
	"github.com/stride-dev/stride/internal/plan"
	"github.com/stride-dev/stride/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Run(m, framework.Options{
		Prometheus: true,
		NewManager: func(cfg *rest.Config) (manager.Manager, error) {
			return controllers.NewManager(cfg, controllers.Options{})
		},
	}))
}

type world struct {
	*framework.World
	t      *testing.T
	ns     string
	c      client.Client
	metric string
}

func newWorld(t *testing.T) *world {
	fw := framework.NewWorld(t)
	w := &world{World: fw, t: t, ns: fw.NS, c: fw.C, metric: framework.MetricName(t)}
	w.Services("web-stable", "web-canary")
	return w
}

// template creates an AnalysisTemplate measuring this test's metric for the canary.
func (w *world) template(name, query string, mutate func(m *v1alpha1.Metric)) {
	w.t.Helper()
	interval := v1alpha1.Duration("1s")
	count := int32(3)
	if query == "" {
		query = fmt.Sprintf(`%s{revision="{{rollout.canaryRevision}}"}`, w.metric)
	}
	m := v1alpha1.Metric{
		Name:             "success-rate",
		Interval:         &interval,
		Count:            &count,
		SuccessCondition: "result >= 0.99",
		FailureCondition: "result < 0.95",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: framework.Default.PrometheusURL,
			Query:   query,
		}},
	}
	if mutate != nil {
		mutate(&m)
	}
	at := &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns},
		Spec:       v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{m}},
	}
	if err := w.c.Create(context.Background(), at); err != nil {
		w.t.Fatalf("create AnalysisTemplate: %v", err)
	}
}

func (w *world) rollout(steps ...v1alpha1.CanaryStep) {
	w.t.Helper()
	replicas, delay := int32(2), int32(1)
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: w.ns},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService: "web-stable", CanaryService: "web-canary", Steps: steps,
				ScaleDownDelaySeconds: &delay, AbortScaleDownDelaySeconds: &delay,
			}},
		},
	}
	if err := w.c.Create(context.Background(), ro); err != nil {
		w.t.Fatal(err)
	}
	w.waitFor("v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
}

// update sets a new image and returns the new revision.
func (w *world) update(image string) string {
	w.t.Helper()
	return w.SetImage("web", image)
}

func (w *world) get() *v1alpha1.Rollout { return w.Get("web") }

func (w *world) waitFor(what string, timeout time.Duration, cond func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	w.t.Helper()
	return w.WaitFor("web", what, timeout, cond)
}

func (w *world) canarySelector() string { return w.Selector("web-canary") }

func (w *world) set(rev string, v float64) {
	framework.Default.Metrics.SetGauge(w.metric, map[string]string{"revision": rev}, v)
}

func analysisStep(template string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: template}}}}
}

func weight(p int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &p} }

var healthyAt = framework.HealthyAt

// TestHealthyCanaryPromoted: good numbers in Prometheus carry the canary through its analysis.
func TestHealthyCanaryPromoted(t *testing.T) {
	w := newWorld(t)
	w.template("success-rate", "", nil)
	w.rollout(weight(50), analysisStep("success-rate"))
	v2 := plan.RevisionHash(&w.get().Spec.Template)
	_ = v2
	ro := w.get()
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	v2 = plan.RevisionHash(&ro.Spec.Template)
	w.set(v2, 0.999)
	framework.Default.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q}`, w.metric, v2))
	w.update("web:v2")
	ro = w.waitFor("v2 promoted by analysis", 2*time.Minute, healthyAt(v2))
	if len(ro.Status.AnalysisRuns) != 1 || ro.Status.AnalysisRuns[0].Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("analysis runs in status: %+v", ro.Status.AnalysisRuns)
	}
	run := &v1alpha1.AnalysisRun{}
	if err := w.c.Get(context.Background(), types.NamespacedName{Namespace: w.ns, Name: ro.Status.AnalysisRuns[0].Name}, run); err != nil {
		t.Fatal(err)
	}
	if got := run.Status.MetricResults[0].Successful; got != 3 {
		t.Errorf("successful measurements %d, want 3", got)
	}
}

// TestUnhealthyCanaryRolledBack: a breach visible in Prometheus sends all traffic back to
// stable within interval × (failureLimit + 1) plus a margin. The margin (5s) covers one
// Prometheus scrape (1s), the run's reconcile and the Rollout's reconcile and Service patch.
func TestUnhealthyCanaryRolledBack(t *testing.T) {
	w := newWorld(t)
	const interval = time.Second
	const failureLimit = 1
	const margin = 5 * time.Second
	w.template("success-rate", "", func(m *v1alpha1.Metric) {
		m.Count = nil // until the update ends
		fl := int32(failureLimit)
		m.FailureLimit = &fl
	})
	w.rollout(weight(50), analysisStep("success-rate"))
	v1 := w.get().Status.StableRevision
	ro := w.get()
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	v2 := plan.RevisionHash(&ro.Spec.Template)
	w.set(v2, 0.999)
	framework.Default.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q}`, w.metric, v2))
	w.update("web:v2")
	w.waitFor("analysis running with traffic on the canary", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return len(ro.Status.AnalysisRuns) == 1 && ro.Status.AnalysisRuns[0].Phase == v1alpha1.AnalysisPhaseRunning && w.canarySelector() == v2
	})

	// The breach.
	w.set(v2, 0.5)
	framework.Default.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q} < 0.95`, w.metric, v2))
	visible := time.Now()
	framework.Eventually(t, time.Minute, "traffic back on stable", func() (bool, error) {
		return w.canarySelector() == v1, nil
	})
	took := time.Since(visible)
	t.Logf("breach visible in Prometheus -> traffic back on stable: %s", took.Round(10*time.Millisecond))
	if limit := interval*(failureLimit+1) + margin; took > limit {
		t.Errorf("rollback took %s, more than %s", took, limit)
	}
	ro = w.waitFor("aborted by analysis", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonAnalysisFailed {
		t.Fatalf("abort %+v", ro.Status.Abort)
	}
	if !strings.Contains(ro.Status.Message, "success-rate") || !strings.Contains(ro.Status.Message, "0.5") {
		t.Errorf("message does not name the metric and its value: %q", ro.Status.Message)
	}
	if ro.Status.StableRevision != v1 {
		t.Errorf("stable revision %s, want %s", ro.Status.StableRevision, v1)
	}
}

// TestPrometheusDown: with Prometheus stopped the run errors after consecutiveErrorLimit and
// the update aborts; the canary is never promoted.
func TestPrometheusDown(t *testing.T) {
	env := framework.Default
	w := newWorld(t)
	w.template("success-rate", "", func(m *v1alpha1.Metric) {
		m.Count = nil
		limit := int32(2)
		m.ConsecutiveErrorLimit = &limit
	})
	w.rollout(weight(50), analysisStep("success-rate"))
	ro := w.get()
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	v2 := plan.RevisionHash(&ro.Spec.Template)
	w.set(v2, 0.999)
	env.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q}`, w.metric, v2))
	w.update("web:v2")
	w.waitFor("analysis running", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return len(ro.Status.AnalysisRuns) == 1 && ro.Status.AnalysisRuns[0].Phase == v1alpha1.AnalysisPhaseRunning
	})
	env.StopPrometheus()
	t.Cleanup(func() {
		if err := env.StartPrometheus(); err != nil {
			t.Errorf("restart Prometheus: %v", err)
		}
	})
	ro = w.waitFor("aborted on provider errors", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.StableRevision == v2 {
		t.Fatalf("the canary was promoted with Prometheus down")
	}
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonAnalysisFailed {
		t.Errorf("abort %+v", ro.Status.Abort)
	}
	if len(ro.Status.AnalysisRuns) != 1 || ro.Status.AnalysisRuns[0].Phase != v1alpha1.AnalysisPhaseError {
		t.Errorf("runs %+v", ro.Status.AnalysisRuns)
	}
	t.Logf("message: %s", ro.Status.Message)
}

// TestNoData: a query that returns no series pauses the Rollout (Inconclusive by default);
// promote lets a person go on.
func TestNoData(t *testing.T) {
	w := newWorld(t)
	w.template("success-rate", fmt.Sprintf(`%s{revision="no-such-revision"}`, w.metric), nil)
	w.rollout(weight(50), analysisStep("success-rate"))
	w.set("something-else", 1)
	v2 := w.update("web:v2")
	ro := w.waitFor("paused on inconclusive analysis", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.PauseReason == v1alpha1.PauseReasonInconclusive
	})
	if ro.Status.StableRevision == v2 {
		t.Fatalf("promoted on missing data")
	}
	if !strings.Contains(strings.ToLower(ro.Status.Message), "no data") {
		t.Errorf("message %q does not say there was no data", ro.Status.Message)
	}
	// A person decides: promote.
	ro.Annotations = map[string]string{v1alpha1.AnnotationPromote: "yes-1"}
	if err := w.c.Patch(context.Background(), ro, client.RawPatch(types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"stride.dev/promote":"yes-1"}}}`))); err != nil {
		t.Fatal(err)
	}
	w.waitFor("promoted by a person", time.Minute, healthyAt(v2))
}

// TestQuerySyntaxError: a broken query errors the run with Prometheus's own message in the
// Rollout's status, and the update aborts.
func TestQuerySyntaxError(t *testing.T) {
	w := newWorld(t)
	w.template("success-rate", `sum(rate(http_requests_total[1m]`, nil)
	w.rollout(weight(50), analysisStep("success-rate"))
	v2 := w.update("web:v2")
	ro := w.waitFor("aborted on a bad query", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.StableRevision == v2 {
		t.Fatalf("promoted with a broken query")
	}
	if !strings.Contains(ro.Status.Message, "parse error") {
		t.Errorf("message %q lacks Prometheus's parse error", ro.Status.Message)
	}
}

// TestRestartMidAnalysis: the operator restarted while a step analysis runs continues the
// same run: no second run, and its counted measurements are neither lost nor repeated.
func TestRestartMidAnalysis(t *testing.T) {
	env := framework.Default
	w := newWorld(t)
	w.template("success-rate", "", func(m *v1alpha1.Metric) {
		count := int32(6)
		m.Count = &count
	})
	w.rollout(weight(50), analysisStep("success-rate"))
	ro := w.get()
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	v2 := plan.RevisionHash(&ro.Spec.Template)
	w.set(v2, 0.999)
	env.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q}`, w.metric, v2))
	w.update("web:v2")
	var runName string
	framework.Eventually(t, time.Minute, "two measurements taken", func() (bool, error) {
		var runs v1alpha1.AnalysisRunList
		if err := w.c.List(context.Background(), &runs, client.InNamespace(w.ns)); err != nil {
			return false, err
		}
		if len(runs.Items) != 1 || len(runs.Items[0].Status.MetricResults) == 0 {
			return false, fmt.Errorf("%d runs", len(runs.Items))
		}
		runName = runs.Items[0].Name
		return runs.Items[0].Status.MetricResults[0].Count >= 2, nil
	})
	env.StopManagerDuring(t)
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	w.waitFor("v2 promoted after the restart", 2*time.Minute, healthyAt(v2))
	var runs v1alpha1.AnalysisRunList
	if err := w.c.List(context.Background(), &runs, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	if len(runs.Items) != 1 || runs.Items[0].Name != runName {
		t.Fatalf("want the one run %s, have %d runs", runName, len(runs.Items))
	}
	r := runs.Items[0].Status.MetricResults[0]
	if r.Count != 6 || r.Successful != 6 {
		t.Errorf("measurements count %d successful %d, want 6 and 6", r.Count, r.Successful)
	}
}

// TestBackgroundAnalysisFails: background analysis watches the whole update; its failure
// aborts even while a step waits for a person.
func TestBackgroundAnalysisFails(t *testing.T) {
	env := framework.Default
	w := newWorld(t)
	w.template("success-rate", "", func(m *v1alpha1.Metric) { m.Count = nil })
	replicas := int32(2)
	pause := v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{}}
	w.rollout(weight(50), pause)
	// Add background analysis from step 1 on.
	ro := w.get()
	start := int32(1)
	ro.Spec.Strategy.Canary.Analysis = &v1alpha1.BackgroundAnalysis{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: "success-rate"}}},
		StartingStep:    &start,
	}
	ro.Spec.Replicas = &replicas
	if err := w.c.Update(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	ro = w.get()
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	v2 := plan.RevisionHash(&ro.Spec.Template)
	w.set(v2, 0.999)
	env.WaitForSeries(t, fmt.Sprintf(`%s{revision=%q}`, w.metric, v2))
	w.update("web:v2")
	ro = w.waitFor("paused at step 2 with background analysis running", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && len(ro.Status.AnalysisRuns) == 1 &&
			ro.Status.AnalysisRuns[0].Kind == v1alpha1.AnalysisKindBackground && ro.Status.AnalysisRuns[0].Phase == v1alpha1.AnalysisPhaseRunning
	})
	w.set(v2, 0.3)
	ro = w.waitFor("aborted by background analysis", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonAnalysisFailed || ro.Status.StableRevision == v2 {
		t.Fatalf("abort %+v stable %s", ro.Status.Abort, ro.Status.StableRevision)
	}
}
