package controllers

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/analysis"
	"github.com/stride-dev/stride/internal/plan"
)

// setupAnalysis registers the AnalysisRun controller.
func setupAnalysis(mgr manager.Manager, now func() time.Time) error {
	return (&AnalysisRunReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("stride"),
		Now:       now,
	}).SetupWithManager(mgr)
}

// buildRun makes the AnalysisRun a plan asks for from its templates. A missing template or
// arg is a *runBuildError (the spec needs a fix); other errors are transient.
func (r *RolloutReconciler) buildRun(ctx context.Context, ro *v1alpha1.Rollout, rp plan.RunPlan, st v1alpha1.RolloutStatus) (*v1alpha1.AnalysisRun, error) {
	templates, err := analysis.FetchTemplates(ctx, r.Client, ro.Namespace, rp.Analysis.Templates)
	if err != nil {
		if analysis.IsTemplateNotFound(err) {
			return nil, &runBuildError{name: rp.Name, err: err}
		}
		return nil, err
	}
	run, err := analysis.BuildRun(analysis.RunInput{
		Rollout:        ro,
		Kind:           rp.Kind,
		Attempt:        st.Attempt,
		Analysis:       *rp.Analysis,
		Templates:      templates,
		StableRevision: st.StableRevision,
		CanaryRevision: rp.Revision,
	})
	if err != nil {
		return nil, &runBuildError{name: rp.Name, err: err}
	}
	// The planner names runs, so that it finds them again after a restart.
	run.Name = rp.Name
	return run, nil
}
