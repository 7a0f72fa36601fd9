package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/analysis"
)

// conflictRetry is the wait after a status patch lost a race with another write.
const conflictRetry = time.Second

// AnalysisRunReconciler measures the metrics of AnalysisRuns when they are due and records
// the results in their status. Timing lives in the run's status (see analysis.Next), so the
// work queue's RequeueAfter drives the measurements and a restarted operator carries on
// where it stopped.
type AnalysisRunReconciler struct {
	// Client reads runs (from the cache) and patches their status.
	Client client.Client
	// APIReader reads Secrets straight from the API server, without a cache.
	APIReader client.Reader
	// Recorder records an event on a run when it ends.
	Recorder events.EventRecorder
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Measurer takes measurements; nil is analysis.NewMeasurer reading Secrets through
	// APIReader.
	Measurer *analysis.Measurer
	// MaxConcurrentReconciles is the number of runs measured at once (default 4): a
	// measurement may wait for a slow metrics server up to its timeout.
	MaxConcurrentReconciles int
}

// +kubebuilder:rbac:groups=stride.dev,resources=analysisruns,verbs=get;list;watch
// +kubebuilder:rbac:groups=stride.dev,resources=analysisruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=stride.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller: it watches AnalysisRuns only, and only their
// creation and spec changes (its own status patches do not wake it up).
func (r *AnalysisRunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Measurer == nil {
		r.Measurer = analysis.NewMeasurer(secretReader(r.APIReader))
	}
	if r.MaxConcurrentReconciles <= 0 {
		r.MaxConcurrentReconciles = 4
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AnalysisRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("analysisrun").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile takes the measurements of a run that are due, patches its status when it
// changed, and asks to be called again when the next measurement is due.
func (r *AnalysisRunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	var run v1alpha1.AnalysisRun
	if err := r.Client.Get(ctx, req.NamespacedName, &run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Status.Phase.Completed() || !run.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	status, requeue := analysis.Next(&run, r.Now(), r.measureFunc(ctx, &run))
	if equality.Semantic.DeepEqual(run.Status, status) {
		return ctrl.Result{RequeueAfter: requeue}, nil
	}
	// The optimistic lock makes a patch based on a stale read fail instead of recording a
	// measurement twice.
	patch := client.MergeFromWithOptions(run.DeepCopy(), client.MergeFromWithOptimisticLock{})
	run.Status = status
	if err := r.Client.Status().Patch(ctx, &run, patch); err != nil {
		if apierrors.IsConflict(err) {
			log.V(1).Info("Status patch conflicted; measuring again from the newer run")
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("patch status of AnalysisRun %s: %w", req.NamespacedName, err)
	}
	if status.Phase.Completed() {
		log.Info("Analysis run ended", "phase", status.Phase, "message", status.Message)
		r.recordEnd(&run)
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// measureFunc measures due metrics concurrently, each within its own timeout. The args are
// resolved (Secrets read) once per call.
func (r *AnalysisRunReconciler) measureFunc(ctx context.Context, run *v1alpha1.AnalysisRun) analysis.MeasureFunc {
	return func(metrics []*v1alpha1.Metric) []analysis.Result {
		out := make([]analysis.Result, len(metrics))
		vars, err := analysis.ResolveArgs(ctx, run.Namespace, run.Spec.Args, secretReader(r.APIReader))
		if err != nil {
			for i := range out {
				out[i] = analysis.Result{Phase: v1alpha1.AnalysisPhaseError, Message: err.Error()}
			}
			return out
		}
		var wg sync.WaitGroup
		for i, m := range metrics {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = r.Measurer.Measure(ctx, run.Namespace, m, vars)
			}()
		}
		wg.Wait()
		return out
	}
}

// recordEnd records an event on a run that has ended.
func (r *AnalysisRunReconciler) recordEnd(run *v1alpha1.AnalysisRun) {
	if r.Recorder == nil {
		return
	}
	switch run.Status.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		r.Recorder.Eventf(run, nil, corev1.EventTypeNormal, v1alpha1.EventAnalysisPassed, "Analyze", "Analysis passed: %s", run.Status.Message)
	case v1alpha1.AnalysisPhaseInconclusive:
		r.Recorder.Eventf(run, nil, corev1.EventTypeWarning, v1alpha1.ReasonPausedInconclusive, "Analyze", "Analysis inconclusive: %s", run.Status.Message)
	default:
		r.Recorder.Eventf(run, nil, corev1.EventTypeWarning, v1alpha1.EventAnalysisFailed, "Analyze", "Analysis %s: %s", lowerPhase(run.Status.Phase), run.Status.Message)
	}
}

func lowerPhase(p v1alpha1.AnalysisPhase) string {
	if p == v1alpha1.AnalysisPhaseError {
		return "errored"
	}
	return "failed"
}

// secretReader reads Secret keys with an uncached reader.
func secretReader(reader client.Reader) analysis.SecretReader {
	return func(ctx context.Context, namespace string, ref v1alpha1.SecretKeyRef) (string, error) {
		var s corev1.Secret
		if err := reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &s); err != nil {
			return "", fmt.Errorf("get Secret %s/%s: %w", namespace, ref.Name, err)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), nil
		}
		if v, ok := s.StringData[ref.Key]; ok {
			return v, nil
		}
		return "", fmt.Errorf("secret %s/%s has no key %q", namespace, ref.Name, ref.Key)
	}
}
