package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func newPauseCommand(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "pause NAME",
		Short: "Pause a rollout where it is (spec.paused: true)",
		Long: `Pause a Rollout where it is, like kubectl rollout pause: it sets spec.paused. Timed
pauses stop counting, no step is taken, and a new template waits, until resume.

spec.paused is part of the spec: if a GitOps tool owns the Rollout, set it in Git instead
(or the tool will undo it).

Plain kubectl: kubectl patch rollout NAME --type=merge -p '{"spec":{"paused":true}}'`,
		Example:           `  kubectl stride pause web`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setPaused(cmd.Context(), f, args[0], true)
		},
	}
}

func newResumeCommand(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "resume NAME",
		Short: "Resume a paused rollout (spec.paused: false)",
		Long: `Resume a Rollout paused with pause (spec.paused), like kubectl rollout resume.

Resume refuses when spec.paused is not set. A Rollout that waits at a pause step without a
duration, or for a blue-green promotion, is not paused this way: promote it instead.

Plain kubectl: kubectl patch rollout NAME --type=merge -p '{"spec":{"paused":false}}'`,
		Example:           `  kubectl stride resume web`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setPaused(cmd.Context(), f, args[0], false)
		},
	}
}

// checkPause refuses a pause or resume that would change nothing.
func checkPause(ro *v1alpha1.Rollout, paused bool) error {
	switch {
	case paused && ro.Spec.Paused:
		return refuse("rollout %q is already paused", ro.Name)
	case !paused && !ro.Spec.Paused:
		if ro.Status.PauseReason != "" || ro.Status.Phase == v1alpha1.RolloutPhasePaused {
			return refuse("rollout %q is not paused by spec.paused; it waits for %s: run `kubectl stride promote %s` to go on",
				ro.Name, pauseReasonWords(ro), ro.Name)
		}
		return refuse("rollout %q is not paused", ro.Name)
	}
	return nil
}

func pauseReasonWords(ro *v1alpha1.Rollout) string {
	switch ro.Status.PauseReason {
	case v1alpha1.PauseReasonInconclusive:
		return "a decision on an inconclusive analysis"
	case v1alpha1.PauseReasonBlueGreen:
		return "promotion of the preview"
	}
	return "a pause step"
}

func setPaused(ctx context.Context, f *factory, name string, paused bool) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	ro, err := getRollout(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if err := checkPause(ro, paused); err != nil {
		return err
	}
	data, err := json.Marshal(map[string]any{"spec": map[string]any{"paused": paused}})
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", ns, name, err)
	}
	verb := "paused"
	if !paused {
		verb = "resumed"
	}
	fmt.Fprintf(f.streams.Out, "rollout %q %s\n", name, verb)
	return nil
}
