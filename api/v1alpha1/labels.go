package v1alpha1

// Labels and annotations Stride reads or writes. Every key starts with "stride.dev/".
const (
	// LabelRollout is set on revision Deployments, their selector and pod template, and on
	// AnalysisRuns: the name of the owning Rollout.
	LabelRollout = "stride.dev/rollout"
	// LabelRevision is the short hash of a revision's pod template. Stride adds it to the
	// selector of the Services a strategy names.
	LabelRevision = "stride.dev/revision"
	// LabelAnalysisKind tells what an AnalysisRun is for (step, background, prePromotion,
	// postPromotion).
	LabelAnalysisKind = "stride.dev/analysis"

	// AnnotationRevisionNumber is the sequence number of a revision (1, 2, 3 ...), used by
	// `kubectl stride undo --to-revision`.
	AnnotationRevisionNumber = "stride.dev/revision-number"
	// AnnotationScaleDownAt on a revision Deployment is the RFC 3339 time after which Stride
	// scales it to zero.
	AnnotationScaleDownAt = "stride.dev/scale-down-at"
	// AnnotationRestartedAt in a Rollout's pod template forces a new revision
	// (`kubectl stride restart`).
	AnnotationRestartedAt = "stride.dev/restartedAt"

	// AnnotationPromote requests one promotion: the current pause or step analysis is
	// skipped. Its value is an opaque token; a new value is a new request.
	AnnotationPromote = "stride.dev/promote"
	// AnnotationPromoteFull requests a full promotion: all remaining steps and analyses are
	// skipped.
	AnnotationPromoteFull = "stride.dev/promote-full"
	// AnnotationAbort requests an abort: all traffic goes back to the stable revision.
	AnnotationAbort = "stride.dev/abort"
	// AnnotationRetry requests a retry of an aborted update from its first step.
	AnnotationRetry = "stride.dev/retry"
	// AnnotationRequestedBy names who made the last request (shown in status messages).
	AnnotationRequestedBy = "stride.dev/requested-by"
)
