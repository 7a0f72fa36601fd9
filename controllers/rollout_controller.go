package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/plan"
)

// specFixRetry is how often a Rollout waiting for a missing Service or template looks again.
const specFixRetry = 10 * time.Second

// RolloutReconciler reconciles Rollouts.
type RolloutReconciler struct {
	Client   client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Now      func() time.Time
}

// +kubebuilder:rbac:groups=stride.dev,resources=rollouts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=stride.dev,resources=rollouts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=stride.dev,resources=rollouts/scale,verbs=get;update;patch
// +kubebuilder:rbac:groups=stride.dev,resources=analysisruns,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=stride.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// SetupWithManager registers the controller: it watches Rollouts and what they own.
func (r *RolloutReconciler) SetupWithManager(mgr manager.Manager, concurrency int) error {
	if concurrency <= 0 {
		concurrency = 4
	}
	return builder.ControllerManagedBy(mgr).
		For(&v1alpha1.Rollout{}).
		Owns(&appsv1.Deployment{}, builder.WithPredicates(deploymentChanged)).
		Owns(&v1alpha1.AnalysisRun{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: concurrency}).
		Named("rollout").
		Complete(r)
}

// deploymentChanged lets through only the Deployment updates a plan can depend on: its
// scale, its ready or available pods, its annotations. The controller-manager's many
// intermediate status updates (pods created, not yet ready) do not wake the Rollout.
var deploymentChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*appsv1.Deployment)
		n, ok2 := e.ObjectNew.(*appsv1.Deployment)
		if !ok1 || !ok2 {
			return true
		}
		return o.Generation != n.Generation ||
			o.Status.ReadyReplicas != n.Status.ReadyReplicas ||
			o.Status.AvailableReplicas != n.Status.AvailableReplicas ||
			!maps.Equal(o.Annotations, n.Annotations)
	},
}

// scope is everything one reconcile pass needs.
type scope struct {
	rollout     *v1alpha1.Rollout
	deployments map[string]*appsv1.Deployment // by revision
	runs        map[string]*v1alpha1.AnalysisRun
	now         time.Time
}

// Reconcile moves one Rollout one pass closer to its plan.
func (r *RolloutReconciler) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, retErr error) {
	ro := &v1alpha1.Rollout{}
	if err := r.Client.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			forgetRolloutMetrics(req.Namespace, req.Name)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !ro.DeletionTimestamp.IsZero() {
		// Revision Deployments and AnalysisRuns are garbage-collected through their owner
		// references; Services are the user's and stay.
		return reconcile.Result{}, nil
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("rollout", req.NamespacedName))

	sc, err := r.observe(ctx, ro)
	if err != nil {
		return reconcile.Result{}, err
	}
	out := plan.Plan(plan.Input{Rollout: ro, Revisions: sc.revisions(), Runs: sc.planRuns(), Now: sc.now})

	applyErr := r.apply(ctx, sc, &out)
	st := out.Status
	if applyErr == nil {
		st.ObservedGeneration = ro.Generation
	} else {
		st.ObservedGeneration = ro.Status.ObservedGeneration
	}
	st.Selector = selectorString(ro)
	setConditions(ro, &st, applyErr)
	r.recordOutcome(sc, &out, &st)
	if err := r.patchStatus(ctx, ro, st); err != nil {
		return reconcile.Result{}, err
	}
	var missing *missingServiceError
	var build *runBuildError
	if errors.As(applyErr, &missing) || errors.As(applyErr, &build) {
		// Waiting for a person to create a Service or template, which is not watched.
		log.FromContext(ctx).Info("Waiting for a fix of the spec", "problem", applyErr.Error())
		return reconcile.Result{RequeueAfter: specFixRetry}, nil
	}
	if applyErr != nil {
		return reconcile.Result{}, applyErr
	}
	if out.RequeueAfter > 0 {
		return reconcile.Result{RequeueAfter: out.RequeueAfter}, nil
	}
	return reconcile.Result{}, nil
}

// observe fetches the Rollout's revision Deployments and AnalysisRuns from the cache.
func (r *RolloutReconciler) observe(ctx context.Context, ro *v1alpha1.Rollout) (*scope, error) {
	sc := &scope{rollout: ro, deployments: map[string]*appsv1.Deployment{}, runs: map[string]*v1alpha1.AnalysisRun{}, now: r.Now()}
	var deps appsv1.DeploymentList
	if err := r.Client.List(ctx, &deps, client.InNamespace(ro.Namespace), client.MatchingLabels{v1alpha1.LabelRollout: ro.Name}); err != nil {
		return nil, fmt.Errorf("list Deployments of %s: %w", ro.Name, err)
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		if !ownedBy(d, ro) {
			continue
		}
		if h := d.Labels[v1alpha1.LabelRevision]; h != "" {
			sc.deployments[h] = d
		}
	}
	var runs v1alpha1.AnalysisRunList
	if err := r.Client.List(ctx, &runs, client.InNamespace(ro.Namespace), client.MatchingLabels{v1alpha1.LabelRollout: ro.Name}); err != nil {
		return nil, fmt.Errorf("list AnalysisRuns of %s: %w", ro.Name, err)
	}
	for i := range runs.Items {
		a := &runs.Items[i]
		if ownedBy(a, ro) {
			sc.runs[a.Name] = a
		}
	}
	return sc, nil
}

func ownedBy(obj client.Object, ro *v1alpha1.Rollout) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.UID == ro.UID {
			return true
		}
	}
	return false
}

// revisions converts the Deployments into the planner's view.
func (sc *scope) revisions() []plan.Revision {
	out := make([]plan.Revision, 0, len(sc.deployments))
	for h, d := range sc.deployments {
		rev := plan.Revision{Hash: h, Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas}
		if d.Spec.Replicas != nil {
			rev.Replicas = *d.Spec.Replicas
		} else {
			rev.Replicas = 1
		}
		rev.Number, _ = strconv.ParseInt(d.Annotations[v1alpha1.AnnotationRevisionNumber], 10, 64)
		if at := d.Annotations[v1alpha1.AnnotationScaleDownAt]; at != "" {
			if t, err := time.Parse(time.RFC3339, at); err == nil {
				rev.ScaleDownAt = &t
			}
		}
		out = append(out, rev)
	}
	return out
}

// planRuns converts the AnalysisRuns into the planner's view.
func (sc *scope) planRuns() map[string]plan.Run {
	out := make(map[string]plan.Run, len(sc.runs))
	for name, a := range sc.runs {
		out[name] = plan.Run{
			Name:        name,
			Kind:        v1alpha1.AnalysisKind(a.Labels[v1alpha1.LabelAnalysisKind]),
			Phase:       a.Status.Phase,
			Message:     a.Status.Message,
			Terminating: a.Spec.Terminate,
			Revision:    a.Labels[v1alpha1.LabelRevision],
			Created:     a.CreationTimestamp.Time,
		}
	}
	return out
}

// recordOutcome updates Stride's metrics from a pass.
func (r *RolloutReconciler) recordOutcome(sc *scope, out *plan.Output, st *v1alpha1.RolloutStatus) {
	ro := sc.rollout
	recordRolloutMetrics(ro, st)
	if st.Abort != nil && ro.Status.Abort == nil {
		aborts.WithLabelValues(st.Abort.Reason).Inc()
	}
	if st.StableRevision != ro.Status.StableRevision && ro.Status.StableRevision != "" {
		if d := sc.deployments[st.StableRevision]; d != nil {
			updateDuration.WithLabelValues(strategyName(ro)).Observe(sc.now.Sub(d.CreationTimestamp.Time).Seconds())
		}
	}
}

// event records an Event on the Rollout.
func (r *RolloutReconciler) event(ro *v1alpha1.Rollout, warning bool, reason, message string) {
	if r.Recorder == nil {
		return
	}
	t := corev1.EventTypeNormal
	if warning {
		t = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(ro, nil, t, reason, "Reconcile", "%s", message)
}

// getService reads a Service the strategy names (uncached).
func (r *RolloutReconciler) getService(ctx context.Context, ns, name string) (*corev1.Service, error) {
	svc := &corev1.Service{}
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &missingServiceError{name: name}
		}
		return nil, fmt.Errorf("get Service %s/%s: %w", ns, name, err)
	}
	return svc, nil
}

type missingServiceError struct{ name string }

func (e *missingServiceError) Error() string {
	return fmt.Sprintf("Service %s not found: create it, Stride only manages its selector", e.name)
}
