package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
