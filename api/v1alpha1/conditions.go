package v1alpha1

// Condition types of a Rollout.
const (
	// ConditionReady is True when the Rollout's spec is fully rolled out and healthy
	// (kstatus "Current").
	ConditionReady = "Ready"
	// ConditionReconciling is present, True, only while an update is in flight.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is present, True, only when the Rollout cannot make progress without
	// a change from a person (aborted, deadline exceeded, invalid spec).
	ConditionStalled = "Stalled"
	// ConditionProgressing is True while an update moves.
	ConditionProgressing = "Progressing"
	// ConditionPaused is True while the update waits for time or a person.
	ConditionPaused = "Paused"
	// ConditionAborted is True while the update is aborted.
	ConditionAborted = "Aborted"
	// ConditionAnalysisFailed is True when an analysis of the current update failed.
	ConditionAnalysisFailed = "AnalysisFailed"
)

// Condition reasons. Each is CamelCase and also used as an Event reason where it fits.
const (
	// ReasonRolloutHealthy: the stable revision is fully available and nothing is in flight.
	ReasonRolloutHealthy = "RolloutHealthy"
	// ReasonInitialDeploy: the first revision is being scaled up.
	ReasonInitialDeploy = "InitialDeploy"
	// ReasonUpdating: a new revision is moving in.
	ReasonUpdating = "Updating"
	// ReasonWaitingForPods: the revision's pods are not ready yet.
	ReasonWaitingForPods = "WaitingForPods"
	// ReasonPausedStep: a pause step waits.
	ReasonPausedStep = "PausedStep"
	// ReasonPausedByUser: spec.paused is set.
	ReasonPausedByUser = "PausedByUser"
	// ReasonPausedInconclusive: an analysis was inconclusive; a person decides.
	ReasonPausedInconclusive = "InconclusiveAnalysis"
	// ReasonWaitingForPromotion: a blue-green preview waits for promotion.
	ReasonWaitingForPromotion = "WaitingForPromotion"
	// ReasonRunningAnalysis: a step waits for an analysis run.
	ReasonRunningAnalysis = "RunningAnalysis"
	// ReasonAborted: a person aborted the update.
	ReasonAborted = "Aborted"
	// ReasonAnalysisFailed: an analysis failed or errored and the update was rolled back.
	ReasonAnalysisFailed = "AnalysisFailed"
	// ReasonProgressDeadlineExceeded: a step made no progress in time.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonInvalidSpec: the spec is invalid in a way CRD validation cannot catch.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonServiceNotFound: a Service the strategy names does not exist.
	ReasonServiceNotFound = "ServiceNotFound"
	// ReasonStableUnavailable: the stable revision has fewer available pods than wanted.
	ReasonStableUnavailable = "StableUnavailable"
	// ReasonAnalysisPassed: the analysis conditions hold.
	ReasonAnalysisPassed = "AnalysisPassed"
)

// Event reasons for things a person cares about.
const (
	EventRevisionCreated  = "RevisionCreated"
	EventStepCompleted    = "StepCompleted"
	EventWeightChanged    = "WeightChanged"
	EventPaused           = "Paused"
	EventResumed          = "Resumed"
	EventPromoted         = "Promoted"
	EventAborted          = "Aborted"
	EventRolledBack       = "RolledBack"
	EventRetried          = "Retried"
	EventAnalysisStarted  = "AnalysisStarted"
	EventAnalysisPassed   = "AnalysisPassed"
	EventAnalysisFailed   = "AnalysisFailed"
	EventScaledDown       = "ScaledDown"
	EventServiceSwitched  = "ServiceSwitched"
	EventRolloutCompleted = "RolloutCompleted"
	EventSuperseded       = "Superseded"
	EventInvalidSpec      = "InvalidSpec"
)
