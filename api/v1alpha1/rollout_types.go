package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Duration is a Go duration string such as "30s", "1m30s" or "2h".
// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
// +kubebuilder:validation:MaxLength=32
type Duration string

// RolloutSpec is the desired state of a Rollout: a pod template like a Deployment's and the
// strategy that moves a new template in.
// +kubebuilder:validation:XValidation:rule="!has(self.selector.matchLabels) || (has(self.template.metadata) && has(self.template.metadata.labels) && self.selector.matchLabels.all(k, k in self.template.metadata.labels && self.template.metadata.labels[k] == self.selector.matchLabels[k]))",message="spec.selector.matchLabels must match spec.template.metadata.labels",fieldPath=".selector"
type RolloutSpec struct {
	// Replicas is the number of pods wanted when no update is in flight. An HPA may drive it
	// through the scale subresource.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	// Selector selects the Rollout's pods. It must match the template's labels. Stride adds
	// stride.dev/rollout and stride.dev/revision to it for each revision Deployment.
	// +required
	Selector *metav1.LabelSelector `json:"selector"`

	// Template is the pod template. Each distinct template is a revision, run by its own
	// Deployment named <rollout>-<revision>.
	// +required
	Template corev1.PodTemplateSpec `json:"template"`

	// RevisionHistoryLimit is how many old, scaled-down revisions to keep for undo.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// ProgressDeadlineSeconds is how long a step may make no progress (for example pods
	// never becoming ready) before the update is aborted.
	// +optional
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=1
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// Paused stops the Rollout where it is, like a paused Deployment. Timed pauses do not
	// advance while it is set.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Strategy says how a new revision replaces the stable one: exactly one of canary,
	// blueGreen or rolling.
	// +required
	Strategy RolloutStrategy `json:"strategy"`
}

// RolloutStrategy holds exactly one strategy.
// +kubebuilder:validation:XValidation:rule="(has(self.canary) ? 1 : 0) + (has(self.blueGreen) ? 1 : 0) + (has(self.rolling) ? 1 : 0) == 1",message="exactly one of spec.strategy.canary, spec.strategy.blueGreen or spec.strategy.rolling must be set"
type RolloutStrategy struct {
	// Canary moves traffic to the new revision step by step.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`
	// BlueGreen runs the new revision beside the old one and switches the active Service at
	// once.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
	// Rolling replaces the old revision by the new one in batches.
	// +optional
	Rolling *RollingStrategy `json:"rolling,omitempty"`
}

// CanaryStrategy moves traffic to a new revision by steps.
// +kubebuilder:validation:XValidation:rule="!has(self.canaryService) || self.canaryService != self.stableService",message="canaryService must differ from stableService: one Service cannot select the stable and the canary revision apart",fieldPath=".canaryService"
type CanaryStrategy struct {
	// StableService is the Service that selects the stable revision. Stride adds
	// stride.dev/revision to its selector; it must exist in the Rollout's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	StableService string `json:"stableService"`

	// CanaryService is the Service that selects the canary revision during an update (and
	// the stable one otherwise).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	CanaryService string `json:"canaryService,omitempty"`

	// Steps are taken in order for every new revision. No steps: the canary is promoted as
	// soon as it is fully available.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	Steps []CanaryStep `json:"steps,omitempty"`

	// Analysis runs in the background for the whole update, from StartingStep on. Its
	// failure aborts the update.
	// +optional
	Analysis *BackgroundAnalysis `json:"analysis,omitempty"`

	// MaxUnavailable is how far the total number of ready pods may drop below replicas
	// while the canary is scaled. 0 (the default) means the canary is surged in first.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+%)$`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// ScaleDownDelaySeconds is how long the old stable revision keeps its pods after a
	// promotion, so a fast rollback needs no new pods.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`

	// AbortScaleDownDelaySeconds is how long an aborted canary keeps its pods (for
	// inspection) before it is scaled to zero.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
}

// CanaryStep is one step of a canary. Exactly one field is set.
// +kubebuilder:validation:XValidation:rule="(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) + (has(self.setCanaryScale) ? 1 : 0) == 1",message="a step sets exactly one of setWeight, pause, analysis or setCanaryScale"
type CanaryStep struct {
	// SetWeight sends this percentage of traffic to the canary. Without a traffic router the
	// canary gets ceil(weight% of replicas) pods and the stable revision the rest.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SetWeight *int32 `json:"setWeight,omitempty"`

	// Pause waits for a duration, or, without one, until `kubectl stride promote`.
	// +optional
	Pause *PauseStep `json:"pause,omitempty"`

	// Analysis runs AnalysisTemplates and waits until the run ends. Success moves on;
	// failure or error aborts; an inconclusive result pauses for a person.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`

	// SetCanaryScale sets the canary's replica count independently of its weight.
	// +optional
	SetCanaryScale *SetCanaryScale `json:"setCanaryScale,omitempty"`
}

// PauseStep waits.
type PauseStep struct {
	// Duration of the pause. Absent: wait until promoted.
	// +optional
	Duration *Duration `json:"duration,omitempty"`
}

// SetCanaryScale sets the canary's scale. Exactly one field is set.
// +kubebuilder:validation:XValidation:rule="(has(self.replicas) ? 1 : 0) + (has(self.weight) ? 1 : 0) + (has(self.matchTrafficWeight) && self.matchTrafficWeight ? 1 : 0) == 1",message="setCanaryScale sets exactly one of replicas, weight or matchTrafficWeight"
type SetCanaryScale struct {
	// Replicas is an absolute replica count for the canary.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`
	// Weight is a percentage of spec.replicas for the canary.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Weight *int32 `json:"weight,omitempty"`
	// MatchTrafficWeight goes back to scaling the canary by its traffic weight.
	// +optional
	MatchTrafficWeight bool `json:"matchTrafficWeight,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate or ClusterAnalysisTemplate.
type AnalysisTemplateRef struct {
	// Name of the template.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
	// ClusterScope refers to a ClusterAnalysisTemplate instead of an AnalysisTemplate in the
	// Rollout's namespace.
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// RolloutAnalysis runs one or more templates as one AnalysisRun.
type RolloutAnalysis struct {
	// Templates to run together; their metrics are merged into one AnalysisRun.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	Templates []AnalysisTemplateRef `json:"templates"`
	// Args are values for the templates' args.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Args []Argument `json:"args,omitempty"`
}

// BackgroundAnalysis runs for a whole update.
type BackgroundAnalysis struct {
	RolloutAnalysis `json:",inline"`
	// StartingStep is the index of the canary step at which the analysis starts (0: at once).
	// +optional
	// +kubebuilder:validation:Minimum=0
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// BlueGreenStrategy runs the new revision beside the old one behind a preview Service and
// switches the active Service at promotion.
// +kubebuilder:validation:XValidation:rule="!has(self.previewService) || self.previewService != self.activeService",message="previewService must differ from activeService: the preview would receive production traffic",fieldPath=".previewService"
type BlueGreenStrategy struct {
	// ActiveService is the Service that receives production traffic.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	ActiveService string `json:"activeService"`
	// PreviewService always selects the newest revision.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	PreviewService string `json:"previewService,omitempty"`
	// AutoPromotionEnabled switches the active Service as soon as the new revision is ready
	// and pre-promotion analysis passed. false: wait for `kubectl stride promote`.
	// +optional
	// +kubebuilder:default=true
	AutoPromotionEnabled *bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionSeconds waits this long after the new revision is ready before the
	// automatic switch.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AutoPromotionSeconds *int32 `json:"autoPromotionSeconds,omitempty"`
	// PreviewReplicaCount is the new revision's scale before promotion (default: full). It is
	// scaled to full before the switch.
	// +optional
	// +kubebuilder:validation:Minimum=0
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`
	// PrePromotionAnalysis must succeed before the switch; failure aborts.
	// +optional
	PrePromotionAnalysis *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`
	// PostPromotionAnalysis runs after the switch; failure switches the active Service back.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
	// ScaleDownDelaySeconds is how long the old revision keeps its pods after the switch.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`
	// AbortScaleDownDelaySeconds is how long an aborted preview keeps its pods.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
}

// RollingStrategy replaces the old revision by the new one in batches.
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && (self.maxSurge == 0 || self.maxSurge == '0' || self.maxSurge == '0%') && (self.maxUnavailable == 0 || self.maxUnavailable == '0' || self.maxUnavailable == '0%'))",message="maxSurge and maxUnavailable cannot both be zero"
type RollingStrategy struct {
	// Service, if set, selects both revisions during the roll and the new one at the end.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Service string `json:"service,omitempty"`
	// MaxSurge is how many pods above replicas may exist during the roll (number or percent).
	// +optional
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+%)$`
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// MaxUnavailable is how many pods below replicas may be unready during the roll.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+%)$`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// PauseBetweenBatches waits this long after each batch is ready.
	// +optional
	PauseBetweenBatches *Duration `json:"pauseBetweenBatches,omitempty"`
	// Analysis runs in the background for the whole roll; failure rolls back.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`
	// AbortScaleDownDelaySeconds is how long an aborted new revision keeps its pods.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
}

// RolloutPhase is the summary state of a Rollout.
// +kubebuilder:validation:Enum=Healthy;Progressing;Paused;Degraded
type RolloutPhase string

const (
	// RolloutPhaseHealthy: one revision, fully available, nothing in flight.
	RolloutPhaseHealthy RolloutPhase = "Healthy"
	// RolloutPhaseProgressing: an update is moving.
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	// RolloutPhasePaused: an update waits for time or a person.
	RolloutPhasePaused RolloutPhase = "Paused"
	// RolloutPhaseDegraded: the update was aborted, or the stable revision is unavailable.
	RolloutPhaseDegraded RolloutPhase = "Degraded"
)

// TrafficWeights are the percentages of traffic each side receives. Without a router they
// are the share of ready pods.
type TrafficWeights struct {
	// Canary is the percentage on the new revision.
	Canary int32 `json:"canary"`
	// Stable is the percentage on the stable revision.
	Stable int32 `json:"stable"`
}

// PauseReason says why an update waits.
type PauseReason string

const (
	// PauseReasonStep: a pause step.
	PauseReasonStep PauseReason = "PauseStep"
	// PauseReasonInconclusive: an analysis was inconclusive and needs a person.
	PauseReasonInconclusive PauseReason = "InconclusiveAnalysis"
	// PauseReasonBlueGreen: blue-green waits for promotion.
	PauseReasonBlueGreen PauseReason = "BlueGreenPause"
)

// AnalysisKind says what an AnalysisRun is for.
type AnalysisKind string

const (
	// AnalysisKindStep is a canary step analysis.
	AnalysisKindStep AnalysisKind = "Step"
	// AnalysisKindBackground runs for the whole update.
	AnalysisKindBackground AnalysisKind = "Background"
	// AnalysisKindPrePromotion runs before a blue-green switch.
	AnalysisKindPrePromotion AnalysisKind = "PrePromotion"
	// AnalysisKindPostPromotion runs after a blue-green switch.
	AnalysisKindPostPromotion AnalysisKind = "PostPromotion"
)

// RolloutAnalysisRunStatus names an AnalysisRun of the current update.
type RolloutAnalysisRunStatus struct {
	// Name of the AnalysisRun.
	Name string `json:"name"`
	// Kind of analysis.
	Kind AnalysisKind `json:"kind"`
	// Phase of the run as last seen.
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message of the run as last seen.
	// +optional
	Message string `json:"message,omitempty"`
}

// AbortStatus records an abort.
type AbortStatus struct {
	// Reason is a CamelCase reason (AbortedByUser, AnalysisFailed, ProgressDeadlineExceeded).
	Reason string `json:"reason"`
	// Message in words.
	Message string `json:"message"`
	// Revision that was aborted.
	Revision string `json:"revision"`
	// At is when the abort happened.
	At metav1.Time `json:"at"`
}

// HandledRequests records the last request token (annotation value) acted on for each
// one-shot command, so each request acts once.
type HandledRequests struct {
	// +optional
	Promote string `json:"promote,omitempty"`
	// +optional
	PromoteFull string `json:"promoteFull,omitempty"`
	// +optional
	Abort string `json:"abort,omitempty"`
	// +optional
	Retry string `json:"retry,omitempty"`
}

// RolloutStatus is what Stride observed and did.
type RolloutStatus struct {
	// ObservedGeneration is the generation a reconcile last fully acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is the summary state.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`
	// Message says in words what the Rollout is doing or waiting for.
	// +optional
	Message string `json:"message,omitempty"`

	// StableRevision is the revision that receives traffic when no update is in flight.
	// +optional
	StableRevision string `json:"stableRevision,omitempty"`
	// UpdatedRevision is the revision of the current spec.template.
	// +optional
	UpdatedRevision string `json:"updatedRevision,omitempty"`
	// CurrentStepIndex is the canary step being worked on; equal to the number of steps when
	// all are done.
	// +optional
	CurrentStepIndex *int32 `json:"currentStepIndex,omitempty"`
	// StepCount is the number of canary steps (for display).
	// +optional
	StepCount int32 `json:"stepCount,omitempty"`
	// Step is the step for display, such as "2/4".
	// +optional
	Step string `json:"step,omitempty"`
	// Weights are the actual traffic shares.
	// +optional
	Weights *TrafficWeights `json:"weights,omitempty"`
	// ActiveRevision is the revision the blue-green active Service selects.
	// +optional
	ActiveRevision string `json:"activeRevision,omitempty"`
	// PreviewRevision is the revision the blue-green preview Service selects.
	// +optional
	PreviewRevision string `json:"previewRevision,omitempty"`

	// Replicas is the total of pods desired across revisions.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// UpdatedReplicas are the pods of the updated revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// ReadyReplicas are ready pods across revisions.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// AvailableReplicas are available pods across revisions.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// UpdatedAvailableReplicas are available pods of the updated revision.
	// +optional
	UpdatedAvailableReplicas int32 `json:"updatedAvailableReplicas,omitempty"`
	// Selector is the label selector of the pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// AnalysisRuns are the runs of the current update.
	// +optional
	// +listType=map
	// +listMapKey=name
	AnalysisRuns []RolloutAnalysisRunStatus `json:"analysisRuns,omitempty"`

	// StepStartedAt is when the current step started (timed pauses count from it).
	// +optional
	StepStartedAt *metav1.Time `json:"stepStartedAt,omitempty"`
	// PauseReason is set while the update waits for time or a person.
	// +optional
	PauseReason PauseReason `json:"pauseReason,omitempty"`
	// LastProgressAt is the last time the update made progress (for the progress deadline).
	// +optional
	LastProgressAt *metav1.Time `json:"lastProgressAt,omitempty"`
	// Abort is set while the update of UpdatedRevision is aborted.
	// +optional
	Abort *AbortStatus `json:"abort,omitempty"`
	// PromotedAt is when the current blue-green revision was promoted.
	// +optional
	PromotedAt *metav1.Time `json:"promotedAt,omitempty"`
	// HandledRequests records the one-shot requests already acted on.
	// +optional
	HandledRequests HandledRequests `json:"handledRequests,omitempty"`
	// Attempt counts retries of the current update; AnalysisRuns of a retry get new names.
	// +optional
	Attempt int32 `json:"attempt,omitempty"`
	// RevisionNumber is the sequence number of UpdatedRevision.
	// +optional
	RevisionNumber int64 `json:"revisionNumber,omitempty"`

	// Conditions: Ready, Reconciling and Stalled (kstatus), Progressing, Paused, Aborted,
	// AnalysisFailed.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ro;rollout,categories=stride;all
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Updated",type=integer,JSONPath=`.status.updatedReplicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Step",type=string,JSONPath=`.status.step`
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=`.status.weights.canary`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Rollout moves a new version of a workload in step by step and rolls back by itself when
// analysis fails.
type Rollout struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// +required
	Spec RolloutSpec `json:"spec"`
	// +optional
	Status RolloutStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RolloutList is a list of Rollouts.
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Rollout `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Rollout{}, &RolloutList{})
}
