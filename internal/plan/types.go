package plan

import (
	"time"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Revision is what the controller observed of one revision Deployment.
type Revision struct {
	// Hash is the revision (stride.dev/revision).
	Hash string
	// Number is the revision's sequence number (stride.dev/revision-number).
	Number int64
	// Replicas is the Deployment's spec.replicas.
	Replicas int32
	// Ready and Available are the Deployment's ready and available pods.
	Ready     int32
	Available int32
	// ScaleDownAt is the time after which the revision is scaled to zero, if one is set.
	ScaleDownAt *time.Time
}

// Run is what the controller observed of one AnalysisRun of the Rollout.
type Run struct {
	Name    string
	Kind    v1alpha1.AnalysisKind
	Phase   v1alpha1.AnalysisPhase
	Message string
	// Terminating is true when spec.terminate is already set.
	Terminating bool
	// Revision the run measures (stride.dev/revision).
	Revision string
	// Created is the run's creation time.
	Created time.Time
}

// Input is everything Plan needs.
type Input struct {
	// Rollout with its spec, annotations and current status.
	Rollout *v1alpha1.Rollout
	// Revisions are the observed revision Deployments of the Rollout.
	Revisions []Revision
	// Runs are the observed AnalysisRuns of the Rollout, by name.
	Runs map[string]Run
	// Now is the clock.
	Now time.Time
}

// RevisionAction is what should happen to one revision Deployment.
type RevisionAction struct {
	// Hash of the revision.
	Hash string
	// Create the Deployment from the Rollout's current template (only ever for the updated
	// revision).
	Create bool
	// Number for a created revision.
	Number int64
	// Replicas wanted.
	Replicas int32
	// ScaleDownAt to record on the Deployment; nil clears it.
	ScaleDownAt *time.Time
	// Delete the Deployment (pruned beyond revisionHistoryLimit).
	Delete bool
}

// RunAction says what to do with an AnalysisRun.
type RunAction string

const (
	// RunEnsure creates the run when it does not exist.
	RunEnsure RunAction = "Ensure"
	// RunTerminate sets spec.terminate on a run that measures until the update ends.
	RunTerminate RunAction = "Terminate"
	// RunDelete deletes an old run.
	RunDelete RunAction = "Delete"
)

// RunPlan is one AnalysisRun action.
type RunPlan struct {
	Action RunAction
	Name   string
	Kind   v1alpha1.AnalysisKind
	// Revision the run measures (the canary, preview or new revision).
	Revision string
	// Analysis to build the run from (for RunEnsure).
	Analysis *v1alpha1.RolloutAnalysis
}

// Event is a Kubernetes Event for the Rollout.
type Event struct {
	// Warning marks a Warning event; otherwise Normal.
	Warning bool
	Reason  string
	Message string
}

// Output is the desired state.
type Output struct {
	// Revisions are the actions per revision Deployment, sorted by hash.
	Revisions []RevisionAction
	// Selectors maps each Service the strategy names to the revision it selects.
	Selectors map[string]string
	// Runs are AnalysisRun actions.
	Runs []RunPlan
	// Status is the new status (without conditions and observedGeneration, which the
	// controller's status step sets).
	Status v1alpha1.RolloutStatus
	// Events to emit.
	Events []Event
	// RequeueAfter is when time alone changes the plan (a pause ends, a delay expires).
	// Zero: only watch events change it.
	RequeueAfter time.Duration
}
