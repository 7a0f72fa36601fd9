// Package canary_test drives the canary strategy end to end on the local control plane: real
// Deployments roll, real pods become Ready (kwok), and the operator runs in-process.
package canary_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
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
		NewManager: func(cfg *rest.Config) (manager.Manager, error) {
			return controllers.NewManager(cfg, controllers.Options{})
		},
	}))
}

// TestFirstDeployAndTemplateChange: a Rollout reaches Healthy with real Ready pods, its
// Services select the revision, a template change creates a second revision, and deleting
// the Rollout garbage-collects its Deployments but leaves the Services.
func TestFirstDeployAndTemplateChange(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 3, "web:v1"))
	ro := w.WaitFor("web", "first revision healthy", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.ObservedGeneration == ro.Generation
	})
	v1 := ro.Status.StableRevision
	if v1 != plan.RevisionHash(&ro.Spec.Template) {
		t.Fatalf("stable revision %s is not the template's hash", v1)
	}
	d := w.Deployment("web", v1)
	if d == nil || d.Status.ReadyReplicas != 3 {
		t.Fatalf("revision Deployment not ready: %+v", d)
	}
	for _, k := range []string{v1alpha1.LabelRollout, v1alpha1.LabelRevision} {
		if d.Labels[k] == "" || d.Spec.Selector.MatchLabels[k] == "" || d.Spec.Template.Labels[k] == "" {
			t.Errorf("label %s missing on Deployment, selector or template", k)
		}
	}
	if ref := metav1.GetControllerOf(d); ref == nil || ref.UID != ro.UID {
		t.Errorf("Deployment is not controlled by the Rollout")
	}
	if got := w.Selector("web-stable"); got != v1 {
		t.Errorf("web-stable selects %q, want %q", got, v1)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != "True" {
		t.Errorf("Ready condition: %+v", c)
	}
	if meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionReconciling) != nil {
		t.Errorf("Reconciling present on a healthy Rollout")
	}
	if ro.Status.Selector != "app=web" || ro.Status.ReadyReplicas != 3 {
		t.Errorf("selector %q ready %d", ro.Status.Selector, ro.Status.ReadyReplicas)
	}

	// A steady state writes nothing: the resourceVersion stays put across a resync.
	rv := ro.ResourceVersion
	w.Request("web", "stride.dev/unrelated")
	ro = w.WaitFor("web", "reconciled after an unrelated change", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.ResourceVersion != rv
	})
	rv = ro.ResourceVersion
	framework.Consistently(t, 2*time.Second, "no writes in a steady state", func() (bool, error) {
		cur := w.Get("web")
		return cur.ResourceVersion == rv, nil
	})

	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "second revision healthy", time.Minute, framework.HealthyAt(v2))
	if w.Deployment("web", v2) == nil || w.Deployment("web", v1) == nil {
		t.Fatalf("want both revision Deployments")
	}
	if got := w.Selector("web-stable"); got != v2 {
		t.Errorf("web-stable selects %q after the update, want %q", got, v2)
	}

	// Deleting the Rollout: the garbage collector removes the Deployments; the Services stay.
	if err := w.C.Delete(context.Background(), w.Get("web")); err != nil {
		t.Fatal(err)
	}
	// The garbage collector learns of the Rollout kind at its next discovery resync (every 30s).
	framework.Eventually(t, 3*time.Minute, "revision Deployments garbage-collected", func() (bool, error) {
		var list appsv1.DeploymentList
		if err := w.C.List(context.Background(), &list, client.InNamespace(w.NS)); err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
	for _, n := range []string{"web-stable", "web-canary"} {
		if err := w.C.Get(context.Background(), types.NamespacedName{Namespace: w.NS, Name: n}, &corev1.Service{}); err != nil {
			t.Errorf("Service %s: %v", n, err)
		}
	}
}

// TestCanaryFourSteps checks every step of a 4-step canary: both revisions' real replica
// counts, both Service selectors, the weights and the step index; the indefinite pause is
// released only by promote; the old stable scales down after the delay.
func TestCanaryFourSteps(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 4, "web:v1", setWeight(25), pause("2s"), setWeight(50), pause("")))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	}).Status.StableRevision
	w.WatchServices("web-stable", "web-canary")

	v2 := w.SetImage("web", "web:v2")
	// Step 1 (setWeight 25) done -> step 2, the timed pause.
	ro := w.WaitFor("web", "timed pause at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.WaitScales("web", map[string]int32{v1: 3, v2: 1})
	if ro.Status.Weights == nil || ro.Status.Weights.Canary != 25 || ro.Status.Weights.Stable != 75 {
		t.Errorf("weights at 25%%: %+v", ro.Status.Weights)
	}
	if w.Selector("web-stable") != v1 || w.Selector("web-canary") != v2 {
		t.Errorf("selectors stable=%s canary=%s", w.Selector("web-stable"), w.Selector("web-canary"))
	}
	if ro.Status.Step != "2/4" {
		t.Errorf("step display %q", ro.Status.Step)
	}
	// The pause ends by itself, setWeight 50, then the indefinite pause.
	ro = w.WaitFor("web", "indefinite pause at step 4", time.Minute, atStep(3, v1alpha1.RolloutPhasePaused))
	w.WaitScales("web", map[string]int32{v1: 2, v2: 2})
	if ro.Status.Weights.Canary != 50 {
		t.Errorf("weights at 50%%: %+v", ro.Status.Weights)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionPaused); c == nil || c.Status != "True" {
		t.Errorf("Paused condition %+v", c)
	}
	if !strings.Contains(ro.Status.Message, "until promoted") {
		t.Errorf("message %q", ro.Status.Message)
	}
	// Only promote releases it.
	framework.Consistently(t, 3*time.Second, "the indefinite pause holds", func() (bool, error) {
		cur := w.Get("web")
		return cur.Status.Phase == v1alpha1.RolloutPhasePaused && *cur.Status.CurrentStepIndex == 3, nil
	})
	w.Request("web", v1alpha1.AnnotationPromote)
	ro = w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	if ro.Status.HandledRequests.Promote == "" {
		t.Errorf("promote not acknowledged in status")
	}
	if w.Selector("web-stable") != v2 || w.Selector("web-canary") != v2 {
		t.Errorf("after promotion: stable=%s canary=%s", w.Selector("web-stable"), w.Selector("web-canary"))
	}
	// The old stable scales to zero after scaleDownDelaySeconds.
	w.WaitScales("web", map[string]int32{v2: 4, v1: 0})
}

// TestAbortThenRetry: abort mid-update sends all traffic to stable at once and keeps the
// Rollout Degraded until retry, which starts the steps again.
func TestAbortThenRetry(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 2, "web:v1", setWeight(50), pause("")))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	}).Status.StableRevision
	w.WatchServices("web-stable", "web-canary")
	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "paused at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.WaitScales("web", map[string]int32{v1: 1, v2: 1})

	w.Request("web", v1alpha1.AnnotationAbort)
	ro := w.WaitFor("web", "aborted", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonAborted || !strings.Contains(ro.Status.Message, "aborted by e2e") {
		t.Errorf("abort status %+v message %q", ro.Status.Abort, ro.Status.Message)
	}
	if w.Selector("web-canary") != v1 || w.Selector("web-stable") != v1 {
		t.Errorf("after abort canary Service selects %s", w.Selector("web-canary"))
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionStalled); c == nil || c.Status != "True" {
		t.Errorf("Stalled condition %+v", c)
	}
	// Stable at full scale; the canary goes to zero after abortScaleDownDelaySeconds.
	w.WaitScales("web", map[string]int32{v1: 2, v2: 0})
	if ro := w.Get("web"); ro.Status.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Errorf("abort did not stick: %s", ro.Status.Phase)
	}

	w.Request("web", v1alpha1.AnnotationRetry)
	ro = w.WaitFor("web", "retried, paused at step 2 again", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	if ro.Status.Abort != nil || ro.Status.Attempt != 1 {
		t.Errorf("after retry: abort %+v attempt %d", ro.Status.Abort, ro.Status.Attempt)
	}
	w.WaitScales("web", map[string]int32{v1: 1, v2: 1})
	w.Request("web", v1alpha1.AnnotationPromote)
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
}

// TestPromoteFull skips every remaining step.
func TestPromoteFull(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 3, "web:v1", setWeight(10), pause(""), setWeight(50), pause("")))
	w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	w.WatchServices("web-stable", "web-canary")
	v2 := w.SetImage("web", "web:v2")
	w.WaitFor("web", "first pause", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.Request("web", v1alpha1.AnnotationPromoteFull)
	ro := w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	if ro.Status.HandledRequests.PromoteFull == "" {
		t.Errorf("promote-full not acknowledged")
	}
	w.WaitScales("web", map[string]int32{v2: 3})
}

// TestProgressDeadline: a canary whose pods never become Ready (no node matches its
// nodeSelector) aborts after progressDeadlineSeconds.
func TestProgressDeadline(t *testing.T) {
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	ro := rollout("web", 2, "web:v1", setWeight(50), pause(""))
	deadline := int32(5)
	ro.Spec.ProgressDeadlineSeconds = &deadline
	w.Create(ro)
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy }).Status.StableRevision
	w.WatchServices("web-stable", "web-canary")
	w.Update("web", func(ro *v1alpha1.Rollout) {
		ro.Spec.Template.Spec.NodeSelector = map[string]string{"no-such-node": "true"}
	})
	ro = w.WaitFor("web", "aborted by the deadline", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded
	})
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonProgressDeadlineExceeded {
		t.Fatalf("abort %+v", ro.Status.Abort)
	}
	if !strings.Contains(ro.Status.Message, "no progress") {
		t.Errorf("message %q", ro.Status.Message)
	}
	w.WaitScales("web", map[string]int32{v1: 2})
	if w.Selector("web-canary") != v1 {
		t.Errorf("canary Service selects the broken revision")
	}
}

// TestRestartDuringTimedPause: the operator killed in the middle of a timed pause and
// started again ends the pause at the time recorded in status, not later and not earlier.
func TestRestartDuringTimedPause(t *testing.T) {
	env := framework.Default
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	// The indefinite pause at the end holds the update so that the step the timed pause
	// led to can be read, however fast the last setWeight completes.
	w.Create(rollout("web", 2, "web:v1", setWeight(50), pause("6s"), setWeight(100), pause("")))
	w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	w.WatchServices("web-stable", "web-canary")
	v2 := w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "timed pause", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	pauseStart := ro.Status.StepStartedAt.Time

	env.StopManagerDuring(t)
	// While the operator is down nothing moves.
	framework.Consistently(t, 2*time.Second, "nothing moves without the operator", func() (bool, error) {
		return *w.Get("web").Status.CurrentStepIndex == 1, nil
	})
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	ro = w.WaitFor("web", "pause over, step 3 or 4", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex >= 2 && ro.Status.StepStartedAt != nil
	})
	if ro.Status.StepStartedAt.Time.Before(pauseStart.Add(6 * time.Second)) {
		t.Errorf("pause ended at %s, before %s", ro.Status.StepStartedAt.Time, pauseStart.Add(6*time.Second))
	}
	w.WaitFor("web", "held by the final pause", time.Minute, atStep(3, v1alpha1.RolloutPhasePaused))
	w.Request("web", v1alpha1.AnnotationPromote)
	w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
}

// TestRestartConverges: an operator restarted in the middle of an update converges to the
// same state as one that ran throughout.
func TestRestartConverges(t *testing.T) {
	env := framework.Default
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 4, "web:v1", setWeight(25), setWeight(75)))
	w.WaitFor("web", "v1 healthy", time.Minute, func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	w.WatchServices("web-stable", "web-canary")
	v2 := w.SetImage("web", "web:v2")
	env.StopManagerDuring(t)
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	ro := w.WaitFor("web", "v2 stable after a restart", 2*time.Minute, framework.HealthyAt(v2))
	if ro.Status.RevisionNumber != 2 {
		t.Errorf("revision number %d, want 2", ro.Status.RevisionNumber)
	}
	w.WaitScales("web", map[string]int32{v2: 4})
}

// TestMissingService: a Rollout naming a Service that does not exist says so in status.
func TestMissingService(t *testing.T) {
	w := framework.NewWorld(t)
	w.Create(rollout("web", 1, "web:v1"))
	ro := w.WaitFor("web", "stalled on the missing Service", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionStalled)
		return c != nil && c.Status == "True"
	})
	if !strings.Contains(ro.Status.Message, "web-stable not found") {
		t.Errorf("message %q", ro.Status.Message)
	}
	// Creating the Service lets it go on by itself.
	w.Services("web-stable", "web-canary")
	w.WaitFor("web", "healthy once the Service exists", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionStalled) == nil
	})
}

// TestRestartsAtAnyMoment: the operator is killed and started again over and over while a
// canary moves through its steps; the update still completes at the right revision, with
// the Service invariant and the Ready-pod floor (maxUnavailable 0) held throughout.
func TestRestartsAtAnyMoment(t *testing.T) {
	env := framework.Default
	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	w.Create(rollout("web", 4, "web:v1", setWeight(25), pause("1s"), setWeight(75), pause("1s")))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	w.WatchServices("web-stable", "web-canary")
	w.WatchReadyPods("web", 4)
	v2 := w.SetImage("web", "web:v2")

	restarts := env.RestartRepeatedly(t, func() bool { return framework.HealthyAt(v2)(w.Get("web")) })
	ro := w.WaitFor("web", "v2 stable", time.Minute, framework.HealthyAt(v2))
	if ro.Status.RevisionNumber != 2 {
		t.Errorf("revision number %d, want 2", ro.Status.RevisionNumber)
	}
	w.WaitScales("web", map[string]int32{v1: 0, v2: 4})
	if restarts < 3 {
		t.Errorf("only %d restarts: the update finished before the test could interrupt it", restarts)
	}
}
