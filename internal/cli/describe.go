package cli

import (
	"fmt"
	"math"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Pure descriptions of a Rollout's state, shared by the tree, the status lines, the list
// and the refusals of commands that make no sense.

const (
	strategyCanary    = "Canary"
	strategyBlueGreen = "BlueGreen"
	strategyRolling   = "Rolling"
)

func strategyName(ro *v1alpha1.Rollout) string {
	switch s := ro.Spec.Strategy; {
	case s.Canary != nil:
		return strategyCanary
	case s.BlueGreen != nil:
		return strategyBlueGreen
	case s.Rolling != nil:
		return strategyRolling
	}
	return "Unknown"
}

func desiredReplicas(ro *v1alpha1.Rollout) int32 {
	if ro.Spec.Replicas == nil {
		return 1
	}
	return *ro.Spec.Replicas
}

// phaseText is the phase, or "Unknown" before the operator's first pass.
func phaseText(ro *v1alpha1.Rollout) string {
	if ro.Status.Phase == "" {
		return "Unknown"
	}
	return string(ro.Status.Phase)
}

// observed reports whether the status describes the current spec.
func observed(ro *v1alpha1.Rollout) bool {
	return ro.Status.ObservedGeneration >= ro.Generation
}

// stepCount is the number of canary steps.
func stepCount(ro *v1alpha1.Rollout) int32 {
	if ro.Status.StepCount > 0 {
		return ro.Status.StepCount
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		return int32(len(c.Steps))
	}
	return 0
}

// currentStep is the index of the canary step being worked on, when an update is in
// flight.
func currentStep(ro *v1alpha1.Rollout) (int32, bool) {
	if ro.Spec.Strategy.Canary == nil || ro.Status.CurrentStepIndex == nil {
		return 0, false
	}
	return *ro.Status.CurrentStepIndex, true
}

// stepText is "2/4" for the canary step in force ("4/4" when done), or "" when the strategy
// has no steps.
func stepText(ro *v1alpha1.Rollout) string {
	if ro.Status.Step != "" {
		return ro.Status.Step
	}
	n := stepCount(ro)
	if ro.Spec.Strategy.Canary == nil || n == 0 || ro.Status.Phase == "" {
		return ""
	}
	i, ok := currentStep(ro)
	if !ok {
		i = n
	}
	return fmt.Sprintf("%d/%d", min(i+1, n), n)
}

// stepsLeft reports whether a canary step is still being worked on.
func stepsLeft(ro *v1alpha1.Rollout) bool {
	i, ok := currentStep(ro)
	return ok && i < stepCount(ro)
}

// aborted reports whether the current update is aborted.
func aborted(ro *v1alpha1.Rollout) bool { return ro.Status.Abort != nil }

// inFlight reports whether an update is under way (and not aborted): a new revision moving
// in, waiting at a pause, or being analysed.
func inFlight(ro *v1alpha1.Rollout) bool {
	if aborted(ro) {
		return false
	}
	st := ro.Status
	switch {
	case st.Phase == v1alpha1.RolloutPhaseProgressing, st.Phase == v1alpha1.RolloutPhasePaused:
		return true
	case st.PauseReason != "":
		return true
	case stepsLeft(ro):
		return true
	case st.UpdatedRevision != "" && st.StableRevision != "" && st.UpdatedRevision != st.StableRevision:
		return true
	case ro.Spec.Strategy.BlueGreen != nil && st.PreviewRevision != "" && st.PreviewRevision != st.ActiveRevision:
		return true
	}
	return false
}

// waiting reports whether the update waits for time or a person (what promote acts on).
func waiting(ro *v1alpha1.Rollout) bool {
	if aborted(ro) {
		return false
	}
	return ro.Status.Phase == v1alpha1.RolloutPhasePaused || ro.Status.PauseReason != "" || stepsLeft(ro) ||
		(ro.Spec.Strategy.BlueGreen != nil && inFlight(ro))
}

// restingRevision names the revision a Rollout at rest runs, for messages.
func restingRevision(ro *v1alpha1.Rollout) string {
	for _, r := range []string{ro.Status.StableRevision, ro.Status.ActiveRevision, ro.Status.UpdatedRevision} {
		if r != "" {
			return r
		}
	}
	return "(none yet)"
}

// revisionRole is what a revision does for the Rollout: stable, canary, active, preview,
// updated, aborted or old.
func revisionRole(ro *v1alpha1.Rollout, hash string) string {
	st := ro.Status
	if st.Abort != nil && st.Abort.Revision == hash {
		return "aborted"
	}
	switch strategyName(ro) {
	case strategyBlueGreen:
		switch hash {
		case st.ActiveRevision:
			return "active"
		case st.PreviewRevision:
			return "preview"
		}
		if hash == st.UpdatedRevision {
			return "updated"
		}
	case strategyCanary:
		switch hash {
		case st.StableRevision:
			return "stable"
		case st.UpdatedRevision:
			return "canary"
		}
	default:
		switch hash {
		case st.StableRevision:
			return "stable"
		case st.UpdatedRevision:
			return "updated"
		}
	}
	return "old"
}

// revisionMark is the symbol of a revision Deployment.
func revisionMark(role string, d *appsv1.Deployment) mark {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	switch {
	case role == "aborted":
		return markAborted
	case want == 0:
		return markDown
	case d.Status.ReadyReplicas >= want:
		return markReady
	}
	return markNotReady
}

// pauseLeft is how long a timed pause step still runs; ok is false when the step has no
// start time or duration.
func pauseLeft(ro *v1alpha1.Rollout, d *v1alpha1.Duration, now time.Time) (time.Duration, bool) {
	if d == nil || ro.Status.StepStartedAt == nil {
		return 0, false
	}
	dur, err := time.ParseDuration(string(*d))
	if err != nil {
		return 0, false
	}
	return ro.Status.StepStartedAt.Add(dur).Sub(now), true
}

// human formats a duration the way kubectl shows ages ("12s", "5m30s", "3h"), rounding up so
// a countdown never shows 0s while time is left.
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return duration.HumanDuration(time.Duration(math.Ceil(d.Seconds())) * time.Second)
}

// age formats the time since t ("" for a zero time).
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// stepDescription names a canary step in words: "setWeight 20%", "pause 30s",
// "pause until promoted", "analysis success-rate", "setCanaryScale 2 replicas".
func stepDescription(s *v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d%%", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return fmt.Sprintf("pause %s", *s.Pause.Duration)
	case s.Pause != nil:
		return "pause until promoted"
	case s.Analysis != nil:
		return "analysis " + templateNames(s.Analysis)
	case s.SetCanaryScale != nil:
		switch sc := s.SetCanaryScale; {
		case sc.Replicas != nil:
			return fmt.Sprintf("setCanaryScale %d replicas", *sc.Replicas)
		case sc.Weight != nil:
			return fmt.Sprintf("setCanaryScale %d%%", *sc.Weight)
		}
		return "setCanaryScale matchTrafficWeight"
	}
	return "empty step"
}

func templateNames(a *v1alpha1.RolloutAnalysis) string {
	var names []string
	for _, t := range a.Templates {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// statusReasons are the short reasons shown after the phase: why it waits or failed.
func statusReasons(ro *v1alpha1.Rollout) []string {
	var out []string
	if !observed(ro) {
		out = append(out, fmt.Sprintf("generation %d not yet observed", ro.Generation))
	}
	if ro.Spec.Paused {
		out = append(out, "paused by spec.paused")
	}
	switch ro.Status.PauseReason {
	case v1alpha1.PauseReasonStep:
		out = append(out, "pause step")
	case v1alpha1.PauseReasonInconclusive:
		out = append(out, "inconclusive analysis")
	case v1alpha1.PauseReasonBlueGreen:
		out = append(out, "waiting for promotion")
	case "":
	default:
		out = append(out, string(ro.Status.PauseReason))
	}
	if a := ro.Status.Abort; a != nil {
		out = append(out, "aborted: "+a.Reason)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue && ro.Status.Abort == nil {
		out = append(out, "stalled: "+c.Reason)
	}
	return out
}

// statusLine is one line for `status` without -w. It has no countdown, so it changes only
// when the state does.
func statusLine(ro *v1alpha1.Rollout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout %q: %s", ro.Name, phaseText(ro))
	var parts []string
	if s := stepText(ro); s != "" && ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		parts = append(parts, "step "+s)
	}
	if w := ro.Status.Weights; w != nil && ro.Spec.Strategy.Canary != nil && ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		parts = append(parts, fmt.Sprintf("canary %d%%", w.Canary))
	}
	if !observed(ro) {
		parts = append(parts, fmt.Sprintf("generation %d not yet observed", ro.Generation))
	}
	if len(parts) > 0 {
		b.WriteString(", " + strings.Join(parts, ", "))
	}
	if ro.Status.Message != "" {
		b.WriteString(": " + ro.Status.Message)
	}
	return b.String()
}
