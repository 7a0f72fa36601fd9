package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func newRestartCommand(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "restart NAME",
		Short: "Replace all pods by rolling out a new revision of the same template",
		Long: `Restart a Rollout's pods, like kubectl rollout restart: the annotation
stride.dev/restartedAt in the pod template is set to now, which makes a new revision that
rolls out with the Rollout's strategy (its steps and analyses included).

The pod template is part of the spec: if a GitOps tool owns the Rollout, it may report
drift and undo the change.

Plain kubectl: kubectl patch rollout NAME --type=merge -p '{"spec":{"template":{"metadata":{"annotations":{"stride.dev/restartedAt":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}}}'`,
		Example:           `  kubectl stride restart web`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return restart(cmd.Context(), f, args[0])
		},
	}
}

func restart(ctx context.Context, f *factory, name string) error {
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
	now := f.Now().UTC().Format(time.RFC3339)
	data, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{v1alpha1.AnnotationRestartedAt: now},
	}}}})
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", ns, name, err)
	}
	msg := fmt.Sprintf("rollout %q restarted: a new revision rolls out with the %s strategy", name, strategyName(ro))
	if n := stepCount(ro); n > 0 && ro.Spec.Strategy.Canary != nil {
		msg += " (" + plural(int(n), "step") + ")"
	}
	if ro.Spec.Paused {
		msg += "; it waits until `kubectl stride resume " + name + "` (spec.paused is set)"
	}
	fmt.Fprintln(f.streams.Out, msg)
	return nil
}
