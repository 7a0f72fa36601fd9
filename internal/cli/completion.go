package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// completeRollouts completes rollout names from the cluster. With resourceWord the first
// argument may also be the word "rollout" (as in `get rollout NAME`).
func completeRollouts(f *factory, resourceWord bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 1 || (len(args) == 1 && !(resourceWord && rolloutResourceNames[args[0]])) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		if resourceWord && len(args) == 0 && strings.HasPrefix("rollout", toComplete) {
			out = append(out, "rollout")
		}
		c, err := f.Client()
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		ns, err := f.Namespace()
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var list v1alpha1.RolloutList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		for _, ro := range list.Items {
			if strings.HasPrefix(ro.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(ro.Name, fmt.Sprintf("%s %s", strategyName(&ro), phaseText(&ro))))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// labelSelector parses a -l selector.
func labelSelector(s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse selector %q: %w", s, err)
	}
	return sel, nil
}
