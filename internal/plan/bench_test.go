package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// BenchmarkPlanCanaryMidUpdate plans one pass of a 10-replica canary paused half-way, the
// common case of a reconcile.
func BenchmarkPlanCanaryMidUpdate(b *testing.B) {
	ro := testRollout(10, weightStep(20), pauseStep("1m"), weightStep(50), pauseStep(""), weightStep(80))
	stable := RevisionHash(&ro.Spec.Template)
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	canary := RevisionHash(&ro.Spec.Template)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	started := now.Add(-10 * time.Second)
	ro.Status = v1alpha1.RolloutStatus{StableRevision: stable, UpdatedRevision: canary, CurrentStepIndex: ptr(int32(1))}
	ro.Status.StepStartedAt = ptrTime(started)
	in := Input{
		Rollout: ro,
		Revisions: []Revision{
			{Hash: stable, Number: 1, Replicas: 8, Ready: 8, Available: 8},
			{Hash: canary, Number: 2, Replicas: 2, Ready: 2, Available: 2},
		},
		Runs: map[string]Run{},
		Now:  now,
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Plan(in)
	}
}

// BenchmarkRevisionHash hashes a pod template.
func BenchmarkRevisionHash(b *testing.B) {
	ro := testRollout(3)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = RevisionHash(&ro.Spec.Template)
	}
}

func ptrTime(t time.Time) *metav1.Time { v := metav1.NewTime(t); return &v }

// BenchmarkPlanBlueGreenWaiting plans a blue-green update of 10 replicas whose preview is
// ready and waits for promotion, with a pre-promotion analysis that passed.
func BenchmarkPlanBlueGreenWaiting(b *testing.B) {
	manual := false
	ro := bgRollout(10, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", AutoPromotionEnabled: &manual, PrePromotionAnalysis: analysis("success-rate")})
	stable := RevisionHash(&ro.Spec.Template)
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	preview := RevisionHash(&ro.Spec.Template)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ro.Status = v1alpha1.RolloutStatus{StableRevision: stable, UpdatedRevision: preview, ActiveRevision: stable,
		StepStartedAt: ptrTime(now.Add(-time.Minute)), PauseReason: v1alpha1.PauseReasonBlueGreen}
	pre := RunName(ro.Name, preview, v1alpha1.AnalysisKindPrePromotion, 0, 0)
	in := Input{
		Rollout: ro,
		Revisions: []Revision{
			{Hash: stable, Number: 1, Replicas: 10, Ready: 10, Available: 10},
			{Hash: preview, Number: 2, Replicas: 10, Ready: 10, Available: 10},
		},
		Runs: map[string]Run{pre: {Name: pre, Kind: v1alpha1.AnalysisKindPrePromotion, Phase: v1alpha1.AnalysisPhaseSuccessful, Revision: preview}},
		Now:  now,
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Plan(in)
	}
}

// BenchmarkPlanRollingMidRoll plans a rolling update of 10 replicas, 4 pods in.
func BenchmarkPlanRollingMidRoll(b *testing.B) {
	surge, unavailable := intstr.FromInt32(2), intstr.FromInt32(0)
	ro := rollingRollout(10, v1alpha1.RollingStrategy{Service: "web", MaxSurge: &surge, MaxUnavailable: &unavailable})
	stable := RevisionHash(&ro.Spec.Template)
	ro.Spec.Template.Spec.Containers[0].Image = "web:v2"
	updated := RevisionHash(&ro.Spec.Template)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ro.Status = v1alpha1.RolloutStatus{StableRevision: stable, UpdatedRevision: updated, LastProgressAt: ptrTime(now.Add(-time.Second))}
	in := Input{
		Rollout: ro,
		Revisions: []Revision{
			{Hash: stable, Number: 1, Replicas: 6, Ready: 6, Available: 6},
			{Hash: updated, Number: 2, Replicas: 6, Ready: 4, Available: 4},
		},
		Runs: map[string]Run{},
		Now:  now,
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Plan(in)
	}
}
