package controllers

import (
	"errors"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// TestSetConditions: the kstatus conditions for each situation. Ready is always present;
// Reconciling and Stalled only while True.
func TestSetConditions(t *testing.T) {
	type want struct {
		ready       metav1.ConditionStatus
		readyReason string
		reconciling bool
		stalled     bool
		paused      bool
		aborted     bool
		analysis    bool
	}
	cases := []struct {
		name     string
		paused   bool
		st       v1alpha1.RolloutStatus
		applyErr error
		want     want
	}{
		{
			name: "healthy",
			st:   v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy, Message: "ok"},
			want: want{ready: metav1.ConditionTrue, readyReason: v1alpha1.ReasonRolloutHealthy},
		},
		{
			name: "updating",
			st:   v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseProgressing, StableRevision: "a", UpdatedRevision: "b"},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonUpdating, reconciling: true},
		},
		{
			name: "stable pods coming up",
			st:   v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseProgressing, StableRevision: "a", UpdatedRevision: "a"},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonWaitingForPods, reconciling: true},
		},
		{
			name: "pause step",
			st:   v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhasePaused, PauseReason: v1alpha1.PauseReasonStep},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonPausedStep, reconciling: true, paused: true},
		},
		{
			name:   "paused by spec.paused",
			paused: true,
			st:     v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhasePaused},
			want:   want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonPausedByUser, reconciling: true, paused: true},
		},
		{
			name: "inconclusive analysis",
			st:   v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhasePaused, PauseReason: v1alpha1.PauseReasonInconclusive},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonPausedInconclusive, reconciling: true, paused: true},
		},
		{
			name: "aborted by a person",
			st: v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseDegraded,
				Abort: &v1alpha1.AbortStatus{Reason: v1alpha1.ReasonAborted, Message: "aborted by alice"}},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonAborted, stalled: true, aborted: true},
		},
		{
			name: "aborted by analysis",
			st: v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseDegraded,
				Abort: &v1alpha1.AbortStatus{Reason: v1alpha1.ReasonAnalysisFailed, Message: "success-rate 0.91 below 0.99"}},
			want: want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonAnalysisFailed, stalled: true, aborted: true, analysis: true},
		},
		{
			name:     "missing Service",
			st:       v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy},
			applyErr: fmt.Errorf("apply: %w", &missingServiceError{name: "web-stable"}),
			want:     want{ready: metav1.ConditionFalse, readyReason: v1alpha1.ReasonInvalidSpec, stalled: true},
		},
		{
			name:     "transient failure",
			st:       v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy},
			applyErr: errors.New("connection refused"),
			want:     want{ready: metav1.ConditionFalse, readyReason: "ApplyFailed"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			ro.Spec.Paused = tc.paused
			// Start from conditions of another state, to check that stale ones go away.
			ro.Status.Conditions = []metav1.Condition{
				{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: "x"},
				{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "x"},
				{Type: v1alpha1.ConditionPaused, Status: metav1.ConditionTrue, Reason: "x"},
				{Type: v1alpha1.ConditionAborted, Status: metav1.ConditionTrue, Reason: "x"},
				{Type: v1alpha1.ConditionAnalysisFailed, Status: metav1.ConditionTrue, Reason: "x"},
			}
			st := tc.st
			setConditions(ro, &st, tc.applyErr)
			ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.want.ready || ready.Reason != tc.want.readyReason {
				t.Errorf("Ready = %+v, want %s/%s", ready, tc.want.ready, tc.want.readyReason)
			}
			if ready != nil && ready.ObservedGeneration != 3 {
				t.Errorf("Ready.observedGeneration = %d", ready.ObservedGeneration)
			}
			check := func(typ string, want bool) {
				c := meta.FindStatusCondition(st.Conditions, typ)
				if want && (c == nil || c.Status != metav1.ConditionTrue) {
					t.Errorf("%s = %+v, want True", typ, c)
				}
				if !want && c != nil && c.Status == metav1.ConditionTrue {
					t.Errorf("%s present and True, want absent", typ)
				}
			}
			check(v1alpha1.ConditionReconciling, tc.want.reconciling)
			check(v1alpha1.ConditionStalled, tc.want.stalled)
			check(v1alpha1.ConditionPaused, tc.want.paused)
			check(v1alpha1.ConditionAborted, tc.want.aborted)
			check(v1alpha1.ConditionAnalysisFailed, tc.want.analysis)
			// kstatus: Reconciling and Stalled are never present as False.
			for _, typ := range []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled} {
				if c := meta.FindStatusCondition(st.Conditions, typ); c != nil && c.Status != metav1.ConditionTrue {
					t.Errorf("%s present with status %s", typ, c.Status)
				}
			}
		})
	}
}

func TestSelectorString(t *testing.T) {
	ro := &v1alpha1.Rollout{}
	ro.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "fe"}}
	if got := selectorString(ro); got != "app=web,tier=fe" {
		t.Errorf("selector %q", got)
	}
}
