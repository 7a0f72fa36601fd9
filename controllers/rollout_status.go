package controllers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// selectorString is the pod selector of the Rollout for the scale subresource.
func selectorString(ro *v1alpha1.Rollout) string {
	if ro.Spec.Selector == nil {
		return ""
	}
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil {
		return ""
	}
	return sel.String()
}

// setConditions derives the conditions from the phase, following kstatus: Ready is always
// present; Reconciling and Stalled are present only while True.
func setConditions(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus, applyErr error) {
	st.Conditions = ro.Status.DeepCopy().Conditions
	gen := ro.Generation
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	remove := func(t string) { meta.RemoveStatusCondition(&st.Conditions, t) }

	switch st.Phase {
	case v1alpha1.RolloutPhaseHealthy:
		set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonRolloutHealthy, st.Message)
		set(v1alpha1.ConditionProgressing, metav1.ConditionFalse, v1alpha1.ReasonRolloutHealthy, st.Message)
		remove(v1alpha1.ConditionReconciling)
		remove(v1alpha1.ConditionStalled)
		remove(v1alpha1.ConditionPaused)
		remove(v1alpha1.ConditionAborted)
		remove(v1alpha1.ConditionAnalysisFailed)
	case v1alpha1.RolloutPhaseDegraded:
		reason, msg := v1alpha1.ReasonStableUnavailable, st.Message
		if st.Abort != nil {
			reason = st.Abort.Reason
		}
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, reason, msg)
		set(v1alpha1.ConditionStalled, metav1.ConditionTrue, reason, msg)
		set(v1alpha1.ConditionProgressing, metav1.ConditionFalse, reason, msg)
		remove(v1alpha1.ConditionReconciling)
		remove(v1alpha1.ConditionPaused)
		if st.Abort != nil {
			set(v1alpha1.ConditionAborted, metav1.ConditionTrue, reason, st.Abort.Message)
		}
		if st.Abort != nil && st.Abort.Reason == v1alpha1.ReasonAnalysisFailed {
			set(v1alpha1.ConditionAnalysisFailed, metav1.ConditionTrue, v1alpha1.ReasonAnalysisFailed, st.Abort.Message)
		} else {
			remove(v1alpha1.ConditionAnalysisFailed)
		}
	case v1alpha1.RolloutPhasePaused:
		reason := pauseReason(ro, st)
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, reason, st.Message)
		set(v1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, st.Message)
		set(v1alpha1.ConditionProgressing, metav1.ConditionTrue, reason, st.Message)
		set(v1alpha1.ConditionPaused, metav1.ConditionTrue, reason, st.Message)
		remove(v1alpha1.ConditionStalled)
		remove(v1alpha1.ConditionAborted)
		remove(v1alpha1.ConditionAnalysisFailed)
	default:
		reason := v1alpha1.ReasonUpdating
		if st.UpdatedRevision == st.StableRevision {
			reason = v1alpha1.ReasonWaitingForPods
		}
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, reason, st.Message)
		set(v1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, st.Message)
		set(v1alpha1.ConditionProgressing, metav1.ConditionTrue, reason, st.Message)
		remove(v1alpha1.ConditionStalled)
		remove(v1alpha1.ConditionPaused)
		remove(v1alpha1.ConditionAborted)
		remove(v1alpha1.ConditionAnalysisFailed)
	}
	// A spec problem only a person can fix (a missing Service, template or arg).
	var missing *missingServiceError
	var build *runBuildError
	if errors.As(applyErr, &missing) || errors.As(applyErr, &build) {
		msg := applyErr.Error()
		st.Message = msg
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec, msg)
		set(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInvalidSpec, msg)
		remove(v1alpha1.ConditionReconciling)
		return
	}
	if applyErr != nil {
		// A transient failure: say so, keep going.
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, "ApplyFailed", fmt.Sprintf("Applying the plan failed, retrying: %v", applyErr))
	}
}

func pauseReason(ro *v1alpha1.Rollout, st *v1alpha1.RolloutStatus) string {
	switch {
	case st.PauseReason == v1alpha1.PauseReasonInconclusive:
		return v1alpha1.ReasonPausedInconclusive
	case st.PauseReason == v1alpha1.PauseReasonBlueGreen:
		return v1alpha1.ReasonWaitingForPromotion
	case ro.Spec.Paused:
		return v1alpha1.ReasonPausedByUser
	}
	return v1alpha1.ReasonPausedStep
}

// patchStatus writes the status with a merge patch computed from the object read, and
// does not write at all when nothing changed.
func (r *RolloutReconciler) patchStatus(ctx context.Context, ro *v1alpha1.Rollout, st v1alpha1.RolloutStatus) error {
	if equality.Semantic.DeepEqual(ro.Status, st) {
		return nil
	}
	orig := ro.DeepCopy()
	ro.Status = st
	// The optimistic lock makes a pass planned from a stale read fail instead of acting on
	// a one-shot request twice.
	if err := r.Client.Status().Patch(ctx, ro, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patch status of Rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	r.waitForCache(ctx, ro)
	return nil
}

// waitForCache waits briefly until the cache shows the Rollout as written, so that the
// next pass plans from what this pass did and not from an older copy.
func (r *RolloutReconciler) waitForCache(ctx context.Context, ro *v1alpha1.Rollout) {
	want := ro.ResourceVersion
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		cur := &v1alpha1.Rollout{}
		if err := r.Client.Get(ctx, client.ObjectKeyFromObject(ro), cur); err != nil {
			return apierrors.IsNotFound(err), nil
		}
		return cur.ResourceVersion == want || newerVersion(cur.ResourceVersion, want), nil
	})
}

// newerVersion compares resource versions as numbers where they are numbers (etcd's are).
func newerVersion(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}
