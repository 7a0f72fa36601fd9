package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/plan"
)

// apply makes the world match the plan: revision Deployments that are created or grow,
// Service selectors, revision Deployments that shrink or go, AnalysisRuns, then Events. A
// Service moves to its new revision before the revision it leaves loses pods, so it never
// selects pods that are going away. It goes on past a failed write and returns all errors
// joined.
func (r *RolloutReconciler) apply(ctx context.Context, sc *scope, out *plan.Output) error {
	ro := sc.rollout
	var errs []error
	var shrinking []plan.RevisionAction
	for _, a := range out.Revisions {
		if shrinks(sc.deployments[a.Hash], a) {
			shrinking = append(shrinking, a)
			continue
		}
		if err := r.applyRevision(ctx, sc, a); err != nil {
			errs = append(errs, err)
		}
	}
	selectorsFailed := false
	for svc, rev := range out.Selectors {
		if err := r.applySelector(ctx, ro, svc, rev); err != nil {
			errs = append(errs, err)
			selectorsFailed = true
		}
	}
	// A Service whose patch failed may still select a revision about to shrink: that
	// revision keeps its pods until a pass moves the Service.
	if !selectorsFailed {
		for _, a := range shrinking {
			if err := r.applyRevision(ctx, sc, a); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, rp := range out.Runs {
		if err := r.applyRun(ctx, sc, rp, out); err != nil {
			errs = append(errs, err)
		}
	}
	for _, e := range out.Events {
		r.event(ro, e.Warning, e.Reason, e.Message)
	}
	return errors.Join(errs...)
}

// shrinks reports whether an action takes pods away from an existing revision Deployment.
func shrinks(d *appsv1.Deployment, a plan.RevisionAction) bool {
	if d == nil || a.Create {
		return false
	}
	cur := int32(1)
	if d.Spec.Replicas != nil {
		cur = *d.Spec.Replicas
	}
	return a.Delete || a.Replicas < cur
}

// DeploymentName is the name of a revision Deployment.
func DeploymentName(rollout, revision string) string {
	return rollout + "-" + revision
}

func (r *RolloutReconciler) applyRevision(ctx context.Context, sc *scope, a plan.RevisionAction) error {
	ro := sc.rollout
	name := DeploymentName(ro.Name, a.Hash)
	switch {
	case a.Create:
		d, err := r.newDeployment(ro, a)
		if err != nil {
			return err
		}
		if err := r.Client.Create(ctx, d); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return nil
			}
			return fmt.Errorf("create Deployment %s/%s: %w", ro.Namespace, name, err)
		}
		r.event(ro, false, v1alpha1.EventRevisionCreated, fmt.Sprintf("Created revision %s (number %d) as Deployment %s with %d replicas", a.Hash, a.Number, name, a.Replicas))
		return nil
	case a.Delete:
		d := sc.deployments[a.Hash]
		if d == nil {
			return nil
		}
		if err := r.Client.Delete(ctx, d, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete Deployment %s/%s: %w", ro.Namespace, name, err)
		}
		return nil
	}
	d := sc.deployments[a.Hash]
	if d == nil {
		return nil
	}
	patch := map[string]any{}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != a.Replicas {
		patch["spec"] = map[string]any{"replicas": a.Replicas}
	}
	var at *string
	if a.ScaleDownAt != nil {
		s := a.ScaleDownAt.UTC().Format(time.RFC3339)
		at = &s
	}
	cur, has := d.Annotations[v1alpha1.AnnotationScaleDownAt]
	if (at == nil && has) || (at != nil && (!has || cur != *at)) {
		patch["metadata"] = map[string]any{"annotations": map[string]any{v1alpha1.AnnotationScaleDownAt: at}}
	}
	if len(patch) == 0 {
		return nil
	}
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, d, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("scale Deployment %s/%s: %w", ro.Namespace, name, err)
	}
	return nil
}

// newDeployment builds the Deployment of a revision: the Rollout's template with the
// revision labels on itself, its selector and its pods.
func (r *RolloutReconciler) newDeployment(ro *v1alpha1.Rollout, a plan.RevisionAction) (*appsv1.Deployment, error) {
	tmpl := ro.Spec.Template.DeepCopy()
	lbl := map[string]string{v1alpha1.LabelRollout: ro.Name, v1alpha1.LabelRevision: a.Hash}
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	maps.Copy(tmpl.Labels, lbl)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	if ro.Spec.Selector != nil {
		sel = ro.Spec.Selector.DeepCopy()
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
	}
	maps.Copy(sel.MatchLabels, lbl)
	labels := maps.Clone(tmpl.Labels)
	replicas := a.Replicas
	history := int32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:        DeploymentName(ro.Name, a.Hash),
			Namespace:   ro.Namespace,
			Labels:      labels,
			Annotations: map[string]string{v1alpha1.AnnotationRevisionNumber: strconv.FormatInt(a.Number, 10)},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas:             &replicas,
			Selector:             sel,
			Template:             *tmpl,
			RevisionHistoryLimit: &history,
		},
	}
	if err := controllerutil.SetControllerReference(ro, d, r.Scheme); err != nil {
		return nil, fmt.Errorf("set owner of Deployment %s: %w", d.Name, err)
	}
	return d, nil
}

// applySelector adds stride.dev/revision=<rev> to a Service's selector, or removes that key
// when rev is empty (the Service then selects every revision through the user's own keys).
// It never touches the user's keys.
func (r *RolloutReconciler) applySelector(ctx context.Context, ro *v1alpha1.Rollout, name, rev string) error {
	svc, err := r.getService(ctx, ro.Namespace, name)
	if err != nil {
		return err
	}
	cur, has := svc.Spec.Selector[v1alpha1.LabelRevision]
	if (rev == "" && !has) || (rev != "" && cur == rev) {
		return nil
	}
	var value any = rev
	if rev == "" {
		value = nil
	}
	data, _ := json.Marshal(map[string]any{"spec": map[string]any{"selector": map[string]any{v1alpha1.LabelRevision: value}}})
	if err := r.Client.Patch(ctx, svc, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("patch selector of Service %s/%s: %w", ro.Namespace, name, err)
	}
	if rev == "" {
		r.event(ro, false, v1alpha1.EventServiceSwitched, fmt.Sprintf("Service %s now selects every revision", name))
	} else {
		r.event(ro, false, v1alpha1.EventServiceSwitched, fmt.Sprintf("Service %s now selects revision %s", name, rev))
	}
	return nil
}

func (r *RolloutReconciler) applyRun(ctx context.Context, sc *scope, rp plan.RunPlan, out *plan.Output) error {
	ro := sc.rollout
	switch rp.Action {
	case plan.RunEnsure:
		if _, ok := sc.runs[rp.Name]; ok {
			return nil
		}
		run, err := r.buildRun(ctx, ro, rp, out.Status)
		if err != nil {
			return err
		}
		if err := r.Client.Create(ctx, run); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create AnalysisRun %s/%s: %w", ro.Namespace, rp.Name, err)
		}
	case plan.RunTerminate:
		run := sc.runs[rp.Name]
		if run == nil || run.Spec.Terminate {
			return nil
		}
		data := []byte(`{"spec":{"terminate":true}}`)
		if err := r.Client.Patch(ctx, run, client.RawPatch(types.MergePatchType, data)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("terminate AnalysisRun %s/%s: %w", ro.Namespace, rp.Name, err)
		}
	case plan.RunDelete:
		run := sc.runs[rp.Name]
		if run == nil {
			return nil
		}
		if err := r.Client.Delete(ctx, run); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete AnalysisRun %s/%s: %w", ro.Namespace, rp.Name, err)
		}
	}
	return nil
}

// runBuildError is an AnalysisRun that cannot be built from its templates (a missing
// template or arg): the spec needs a person's fix.
type runBuildError struct {
	name string
	err  error
}

func (e *runBuildError) Error() string {
	return fmt.Sprintf("cannot start analysis %s: %v", e.name, e.err)
}

func (e *runBuildError) Unwrap() error { return e.err }
