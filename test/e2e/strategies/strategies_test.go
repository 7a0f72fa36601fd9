// Package strategies_test drives the blue-green and rolling strategies end to end on the
// local control plane (real Deployments, real Ready pods through kwok), with analysis
// decided by a real Prometheus server scraping a metrics source the tests control.
package strategies_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
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

func blueGreen(replicas int32, mutate func(b *v1alpha1.BlueGreenStrategy)) *v1alpha1.Rollout {
	delay := int32(3)
	b := &v1alpha1.BlueGreenStrategy{
		ActiveService:              "web",
		PreviewService:             "web-preview",
		ScaleDownDelaySeconds:      &delay,
		AbortScaleDownDelaySeconds: &delay,
	}
	if mutate != nil {
		mutate(b)
	}
	return framework.RolloutOf("web", replicas, "web:v1", v1alpha1.RolloutStrategy{BlueGreen: b})
}

func analysis(template string) *v1alpha1.RolloutAnalysis {
	return &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: template}}}
}

func degradedBy(reason string) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded && ro.Status.Abort != nil && ro.Status.Abort.Reason == reason
	}
}

// TestBlueGreenManualPromotion: the preview Service serves v2 while the active Service
// serves v1; after promote the active Service serves v2 and v1 scales down after the delay.
func TestBlueGreenManualPromotion(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web", "web-preview")
	manual, delay := false, int32(10)
	w.Create(blueGreen(3, func(b *v1alpha1.BlueGreenStrategy) {
		b.AutoPromotionEnabled = &manual
		b.ScaleDownDelaySeconds = &delay
	}))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	if w.Selector("web") != v1 || w.Selector("web-preview") != v1 {
		t.Fatalf("first revision: active selects %q, preview %q, want %s", w.Selector("web"), w.Selector("web-preview"), v1)
	}
	w.WatchServices("web", "web-preview")

	v2 := w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "waiting for promotion", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen
	})
	if ro.Status.ActiveRevision != v1 || ro.Status.PreviewRevision != v2 {
		t.Errorf("status active %s preview %s, want %s and %s", ro.Status.ActiveRevision, ro.Status.PreviewRevision, v1, v2)
	}
	if !strings.Contains(ro.Status.Message, "waiting for promotion") {
		t.Errorf("message %q", ro.Status.Message)
	}
	w.WaitScales("web", map[string]int32{v1: 3, v2: 3})
	if got := w.Selector("web"); got != v1 {
		t.Errorf("active Service selects %s before promotion, want %s", got, v1)
	}
	if got := w.Selector("web-preview"); got != v2 {
		t.Errorf("preview Service selects %s, want %s", got, v2)
	}
	// Nothing switches by itself.
	framework.Consistently(t, 2*time.Second, "active stays on v1 until promoted", func() (bool, error) {
		return w.Selector("web") == v1, nil
	})

	w.Request("web", v1alpha1.AnnotationPromote)
	ro = w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	if ro.Status.ActiveRevision != v2 {
		t.Errorf("active revision %s, want %s", ro.Status.ActiveRevision, v2)
	}
	if w.Selector("web") != v2 || w.Selector("web-preview") != v2 {
		t.Errorf("after promotion: active %s preview %s, want %s", w.Selector("web"), w.Selector("web-preview"), v2)
	}
	// The old revision keeps its pods for scaleDownDelaySeconds, then goes.
	if d := w.Deployment("web", v1); d == nil || *d.Spec.Replicas != 3 {
		t.Errorf("v1 scaled down before the delay: %+v", d)
	}
	w.WaitScales("web", map[string]int32{v1: 0, v2: 3})
}

// TestBlueGreenPrePromotionAnalysisFails: a failing pre-promotion analysis aborts the
// update and the active Service never selects the new revision.
func TestBlueGreenPrePromotionAnalysisFails(t *testing.T) {
	w := framework.NewWorld(t)
	metric := framework.MetricName(t)
	w.Template("success-rate", metric, 3)
	w.Services("web", "web-preview")
	w.Create(blueGreen(2, func(b *v1alpha1.BlueGreenStrategy) { b.PrePromotionAnalysis = analysis("success-rate") }))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	v2 := w.RevisionWithImage("web", "web:v2")
	w.Gauge(metric, v2, 0.5)
	w.WatchServices("web", "web-preview")
	w.WatchNeverSelects("web", v2)

	w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "aborted by the pre-promotion analysis", time.Minute, degradedBy(v1alpha1.ReasonAnalysisFailed))
	if !strings.Contains(ro.Status.Message, "success-rate") || !strings.Contains(ro.Status.Message, "0.5") {
		t.Errorf("message does not name the metric and its value: %q", ro.Status.Message)
	}
	if ro.Status.StableRevision != v1 || ro.Status.ActiveRevision != v1 {
		t.Errorf("stable %s active %s, want %s", ro.Status.StableRevision, ro.Status.ActiveRevision, v1)
	}
	// The aborted preview keeps its pods for the abort delay, then scales to zero; the
	// preview Service moves back to the stable revision.
	w.WaitScales("web", map[string]int32{v1: 2, v2: 0})
	framework.Eventually(t, 30*time.Second, "preview Service back on v1", func() (bool, error) {
		return w.Selector("web-preview") == v1, nil
	})
}

// TestBlueGreenPostPromotionAnalysisFails: the active Service switches to v2, the
// post-promotion analysis sees a breach in Prometheus, and the active Service switches
// back to v1 at once, whose pods were kept.
func TestBlueGreenPostPromotionAnalysisFails(t *testing.T) {
	w := framework.NewWorld(t)
	metric := framework.MetricName(t)
	w.Template("success-rate", metric, 0) // measures until the update ends
	w.Services("web", "web-preview")
	w.Create(blueGreen(2, func(b *v1alpha1.BlueGreenStrategy) { b.PostPromotionAnalysis = analysis("success-rate") }))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	v2 := w.RevisionWithImage("web", "web:v2")
	w.Gauge(metric, v2, 0.999)
	w.WatchServices("web", "web-preview")

	w.SetImage("web", "web:v2")
	w.WaitFor("web", "switched, post-promotion analysis running", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ActiveRevision == v2 && len(ro.Status.AnalysisRuns) == 1 &&
			ro.Status.AnalysisRuns[0].Phase == v1alpha1.AnalysisPhaseRunning && w.Selector("web") == v2
	})
	if d := w.Deployment("web", v1); d == nil || d.Status.ReadyReplicas != 2 {
		t.Fatalf("v1 lost its pods before post-promotion analysis ended: %+v", d)
	}

	w.Gauge(metric, v2, 0.5) // the breach
	visible := time.Now()
	framework.Eventually(t, time.Minute, "active Service back on v1", func() (bool, error) {
		return w.Selector("web") == v1, nil
	})
	t.Logf("breach visible in Prometheus -> active Service back on v1: %s", time.Since(visible).Round(10*time.Millisecond))
	ro := w.WaitFor("web", "aborted by the post-promotion analysis", 30*time.Second, degradedBy(v1alpha1.ReasonAnalysisFailed))
	if ro.Status.StableRevision != v1 || ro.Status.ActiveRevision != v1 {
		t.Errorf("stable %s active %s, want %s", ro.Status.StableRevision, ro.Status.ActiveRevision, v1)
	}
	w.WaitScales("web", map[string]int32{v1: 2, v2: 0})
}

// TestBlueGreenFastRollback: a template reverted to v1 within the scale-down delay flips
// the active Service back at once, to pods that never went away.
func TestBlueGreenFastRollback(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web", "web-preview")
	ro := blueGreen(2, nil)
	long := int32(600)
	ro.Spec.Strategy.BlueGreen.ScaleDownDelaySeconds = &long
	w.Create(ro)
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	w.WatchServices("web", "web-preview")
	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "v2 stable (auto-promoted)", time.Minute, framework.HealthyAt(v2))
	before := w.PodNames("web", v1)
	if len(before) != 2 {
		t.Fatalf("v1 has pods %v inside the scale-down delay, want 2", before)
	}

	if back := w.SetImage("web", "web:v1"); back != v1 {
		t.Fatalf("reverted template has revision %s, want %s", back, v1)
	}
	w.WaitFor("web", "v1 stable again", time.Minute, framework.HealthyAt(v1))
	if got := w.Selector("web"); got != v1 {
		t.Errorf("active Service selects %s, want %s", got, v1)
	}
	// The same pods: v1 was never scaled down and back up.
	if after := w.PodNames("web", v1); !slices.Equal(before, after) {
		t.Errorf("v1 pods %v became %v: new pods were made", before, after)
	}
}

func rolling(replicas int32, surge, unavailable intstr.IntOrString, mutate func(r *v1alpha1.RollingStrategy)) *v1alpha1.Rollout {
	delay := int32(3)
	r := &v1alpha1.RollingStrategy{
		Service:                    "web",
		MaxSurge:                   &surge,
		MaxUnavailable:             &unavailable,
		AbortScaleDownDelaySeconds: &delay,
	}
	if mutate != nil {
		mutate(r)
	}
	return framework.RolloutOf("web", replicas, "web:v1", v1alpha1.RolloutStrategy{Rolling: r})
}

// TestRollingSurgeOne: with maxSurge 1 and maxUnavailable 0 on 5 replicas, Ready pods
// never drop below 5 and desired pods never exceed 6, checked throughout; the roll goes
// batch by batch and the Service selects v2 at the end.
func TestRollingSurgeOne(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web")
	w.Create(rolling(5, intstr.FromInt32(1), intstr.FromInt32(0), nil))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	if got := w.Selector("web"); got != v1 {
		t.Fatalf("Service selects %q, want %s", got, v1)
	}
	w.WatchServices("web")
	w.WatchReadyPods("web", 5)
	w.Watch("desired pods at most replicas + maxSurge", func(ctx context.Context) (string, error) {
		n, err := w.DesiredPods(ctx, "web")
		if err != nil || n <= 6 {
			return "", err
		}
		return fmt.Sprintf("%d pods desired", n), nil
	})
	var mu sync.Mutex
	var steps []string
	w.WatchRollout("web", func(ro *v1alpha1.Rollout) {
		mu.Lock()
		defer mu.Unlock()
		if s := ro.Status.Step; s != "" && (len(steps) == 0 || steps[len(steps)-1] != s) {
			steps = append(steps, s)
		}
	})

	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "v2 stable", 2*time.Minute, framework.HealthyAt(v2))
	if got := w.Selector("web"); got != v2 {
		t.Errorf("Service selects %q at the end, want %s", got, v2)
	}
	w.WaitScales("web", map[string]int32{v1: 0, v2: 5})
	// One pod a batch: the progress went 1/5, 2/5, 3/5, 4/5, 5/5 (then done).
	framework.Eventually(t, 10*time.Second, "batch progress", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		want := []string{"1/5", "2/5", "3/5", "4/5", "5/5"}
		if !slices.Equal(steps, want) {
			return false, fmt.Errorf("steps %v, want %v", steps, want)
		}
		return true, nil
	})
}

// TestRollingAnalysisFailsRollsBack: a background analysis failing mid-roll brings the old
// revision back to full scale and points the Service at it.
func TestRollingAnalysisFailsRollsBack(t *testing.T) {
	w := framework.NewWorld(t)
	metric := framework.MetricName(t)
	w.Template("success-rate", metric, 0)
	w.Services("web")
	pause := v1alpha1.Duration("1h") // the roll stops after its first batch
	w.Create(rolling(4, intstr.FromInt32(1), intstr.FromInt32(0), func(r *v1alpha1.RollingStrategy) {
		r.Analysis = analysis("success-rate")
		r.PauseBetweenBatches = &pause
	}))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	v2 := w.RevisionWithImage("web", "web:v2")
	w.Gauge(metric, v2, 0.999)
	w.WatchServices("web")
	w.WatchReadyPods("web", 4)

	w.SetImage("web", "web:v2")
	w.WaitFor("web", "first batch done, analysis running", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.Step == "1/4" &&
			len(ro.Status.AnalysisRuns) == 1 && ro.Status.AnalysisRuns[0].Phase == v1alpha1.AnalysisPhaseRunning
	})
	w.WaitScales("web", map[string]int32{v1: 3, v2: 1})

	w.Gauge(metric, v2, 0.5)
	ro := w.WaitFor("web", "rolled back by analysis", time.Minute, degradedBy(v1alpha1.ReasonAnalysisFailed))
	if !strings.Contains(ro.Status.Message, "success-rate") {
		t.Errorf("message does not name the metric: %q", ro.Status.Message)
	}
	if ro.Status.StableRevision != v1 {
		t.Errorf("stable revision %s, want %s", ro.Status.StableRevision, v1)
	}
	framework.Eventually(t, 30*time.Second, "Service on v1", func() (bool, error) {
		return w.Selector("web") == v1, nil
	})
	w.WaitScales("web", map[string]int32{v1: 4, v2: 0})
}

// TestBlueGreenRestartWhileWaiting: an operator stopped and started while a preview waits
// for promotion keeps waiting (no switch by itself), and a promote then completes it.
func TestBlueGreenRestartWhileWaiting(t *testing.T) {
	env := framework.Default
	w := framework.NewWorld(t)
	w.Services("web", "web-preview")
	manual := false
	w.Create(blueGreen(2, func(b *v1alpha1.BlueGreenStrategy) { b.AutoPromotionEnabled = &manual }))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	w.WatchServices("web", "web-preview")
	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "waiting for promotion", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen && ro.Status.PreviewRevision == v2
	})

	env.StopManagerDuring(t)
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	framework.Consistently(t, 2*time.Second, "still waiting for promotion after the restart", func() (bool, error) {
		ro := w.Get("web")
		return w.Selector("web") == v1 && ro.Status.ActiveRevision == v1 && ro.Status.Phase == v1alpha1.RolloutPhasePaused,
			fmt.Errorf("active %s phase %s", ro.Status.ActiveRevision, ro.Status.Phase)
	})
	w.Request("web", v1alpha1.AnnotationPromote)
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	if got := w.Selector("web"); got != v2 {
		t.Errorf("active Service selects %s, want %s", got, v2)
	}
}

// TestRollingRestartBetweenBatches: an operator stopped during the pause between batches
// and started again goes on with the next batch when the pause recorded in status ends,
// never below the Ready-pod floor.
func TestRollingRestartBetweenBatches(t *testing.T) {
	env := framework.Default
	w := framework.NewWorld(t)
	w.Services("web")
	pause := v1alpha1.Duration("4s")
	w.Create(rolling(3, intstr.FromInt32(1), intstr.FromInt32(0), func(r *v1alpha1.RollingStrategy) { r.PauseBetweenBatches = &pause }))
	w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy))
	w.WatchServices("web")
	w.WatchReadyPods("web", 3)
	v2 := w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "paused after the first batch", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.Step == "1/3" && ro.Status.StepStartedAt != nil
	})
	pauseEnd := ro.Status.StepStartedAt.Add(4 * time.Second)

	env.StopManagerDuring(t)
	framework.Consistently(t, time.Second, "nothing moves without the operator", func() (bool, error) {
		return w.Get("web").Status.Step == "1/3", nil
	})
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	ro = w.WaitFor("web", "second batch", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Step == "2/3" || ro.Status.Step == "3/3" || ro.Status.StableRevision == v2
	})
	if now := time.Now(); now.Before(pauseEnd) {
		t.Errorf("second batch started at %s, before the pause ended at %s", now.Format(time.StampMilli), pauseEnd.Format(time.StampMilli))
	}
	w.Request("web", v1alpha1.AnnotationPromote) // skip the second pause
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
}

// TestBlueGreenPreviewReplicaCount: the preview runs at previewReplicaCount; at promotion it
// is scaled to full, and the active Service switches only once every pod is available.
func TestBlueGreenPreviewReplicaCount(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web", "web-preview")
	manual, preview := false, int32(1)
	w.Create(blueGreen(3, func(b *v1alpha1.BlueGreenStrategy) {
		b.AutoPromotionEnabled = &manual
		b.PreviewReplicaCount = &preview
	}))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	w.WatchServices("web", "web-preview")
	v2 := w.RevisionWithImage("web", "web:v2")
	w.Watch("active switches only to a fully available revision", func(ctx context.Context) (string, error) {
		svc := &corev1.Service{}
		if err := w.C.Get(ctx, client.ObjectKey{Namespace: w.NS, Name: "web"}, svc); err != nil {
			return "", err
		}
		if svc.Spec.Selector[v1alpha1.LabelRevision] != v2 {
			return "", nil
		}
		n, _, err := w.ReadyPodsSelected(ctx, "web")
		if err != nil || n >= 3 {
			return "", err
		}
		return fmt.Sprintf("active Service on %s with %d Ready pods", v2, n), nil
	})

	w.SetImage("web", "web:v2")
	w.WaitFor("web", "waiting for promotion", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen
	})
	w.WaitScales("web", map[string]int32{v1: 3, v2: 1})
	if got := w.Selector("web-preview"); got != v2 {
		t.Errorf("preview Service selects %s, want %s", got, v2)
	}
	w.Request("web", v1alpha1.AnnotationPromote)
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	w.WaitScales("web", map[string]int32{v2: 3})
}

// TestBlueGreenAutoPromotionSeconds: the active Service switches by itself
// autoPromotionSeconds after the preview became available, and not before.
func TestBlueGreenAutoPromotionSeconds(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web", "web-preview")
	wait := int32(3)
	w.Create(blueGreen(2, func(b *v1alpha1.BlueGreenStrategy) { b.AutoPromotionSeconds = &wait }))
	w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy))
	w.WatchServices("web", "web-preview")
	v2 := w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "preview ready, promotion scheduled", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen && ro.Status.StepStartedAt != nil
	})
	if !strings.Contains(ro.Status.Message, "promoting automatically at") {
		t.Errorf("message %q", ro.Status.Message)
	}
	due := ro.Status.StepStartedAt.Add(3 * time.Second)
	framework.Eventually(t, 30*time.Second, "active Service on v2", func() (bool, error) {
		return w.Selector("web") == v2, nil
	})
	if now := time.Now(); now.Before(due) {
		t.Errorf("switched at %s, before %s", now.Format(time.StampMilli), due.Format(time.StampMilli))
	}
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
}

// TestRestartsAtAnyMoment: the operator is killed and started again over and over during a
// blue-green update with a post-promotion analysis, and during a rolling update with pauses
// between batches; both complete, with every invariant held throughout.
func TestRestartsAtAnyMoment(t *testing.T) {
	env := framework.Default
	t.Run("blue-green", func(t *testing.T) {
		w := framework.NewWorld(t)
		metric := framework.MetricName(t)
		w.Template("success-rate", metric, 4)
		w.Services("web", "web-preview")
		w.Create(blueGreen(2, func(b *v1alpha1.BlueGreenStrategy) { b.PostPromotionAnalysis = analysis("success-rate") }))
		v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
		v2 := w.RevisionWithImage("web", "web:v2")
		w.Gauge(metric, v2, 0.999)
		w.WatchServices("web", "web-preview")
		w.WatchReadyPods("web", 2)
		w.SetImage("web", "web:v2")
		restarts := env.RestartRepeatedly(t, func() bool { return framework.HealthyAt(v2)(w.Get("web")) })
		ro := w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
		run := &v1alpha1.AnalysisRun{}
		if err := w.C.Get(context.Background(), client.ObjectKey{Namespace: w.NS, Name: ro.Status.AnalysisRuns[0].Name}, run); err != nil {
			t.Fatal(err)
		}
		// Restarts neither lost nor repeated a counted measurement.
		if got := run.Status.MetricResults[0].Successful; got != 4 {
			t.Errorf("successful measurements %d, want 4", got)
		}
		w.WaitScales("web", map[string]int32{v1: 0, v2: 2})
		if restarts < 3 {
			t.Errorf("only %d restarts: the update finished before the test could interrupt it", restarts)
		}
	})
	t.Run("rolling", func(t *testing.T) {
		w := framework.NewWorld(t)
		w.Services("web")
		pause := v1alpha1.Duration("500ms")
		w.Create(rolling(4, intstr.FromInt32(1), intstr.FromInt32(0), func(r *v1alpha1.RollingStrategy) { r.PauseBetweenBatches = &pause }))
		v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
		w.WatchServices("web")
		w.WatchReadyPods("web", 4)
		w.Watch("desired pods at most replicas + maxSurge", func(ctx context.Context) (string, error) {
			n, err := w.DesiredPods(ctx, "web")
			if err != nil || n <= 5 {
				return "", err
			}
			return fmt.Sprintf("%d pods desired", n), nil
		})
		v2 := w.SetImage("web", "web:v2")
		restarts := env.RestartRepeatedly(t, func() bool { return framework.HealthyAt(v2)(w.Get("web")) })
		w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
		w.WaitScales("web", map[string]int32{v1: 0, v2: 4})
		if restarts < 3 {
			t.Errorf("only %d restarts: the update finished before the test could interrupt it", restarts)
		}
	})
}
