package canary_test

import (
	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/test/framework"
)

// rollout is a canary Rollout over the Services web-stable and web-canary, with 2s
// scale-down delays.
func rollout(name string, replicas int32, image string, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	delay := int32(2)
	return framework.RolloutOf(name, replicas, image, v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
		StableService:              "web-stable",
		CanaryService:              "web-canary",
		Steps:                      steps,
		ScaleDownDelaySeconds:      &delay,
		AbortScaleDownDelaySeconds: &delay,
	}})
}

func setWeight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }

func pause(d string) v1alpha1.CanaryStep {
	if d == "" {
		return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{}}
	}
	dur := v1alpha1.Duration(d)
	return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{Duration: &dur}}
}

func atStep(i int32, phase v1alpha1.RolloutPhase) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == i && ro.Status.Phase == phase
	}
}
