package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

type listOptions struct {
	f             *factory
	allNamespaces bool
	selector      string
	output        string
}

func newListCommand(f *factory) *cobra.Command {
	o := &listOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list [rollouts]",
		Aliases: []string{"ls"},
		Short:   "List rollouts with their phase, step, weight and ready pods",
		Long: `List the Rollouts of a namespace (or of all namespaces with -A) as a table:
strategy, phase, canary step, canary traffic weight, ready/desired pods and age.

Plain kubectl: kubectl get rollouts (the CRD's printer columns show the same).`,
		Example: `  # Rollouts of the current namespace
  kubectl stride list

  # Rollouts of every namespace, as YAML
  kubectl stride list rollouts -A -o yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && !rolloutResourceNames[args[0]]) {
				return fmt.Errorf("list takes no name (only the word \"rollouts\"); to show one rollout use `kubectl stride get rollout NAME`")
			}
			return nil
		},
		ValidArgs: []string{"rollouts"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List rollouts of all namespaces")
	cmd.Flags().StringVarP(&o.selector, "selector", "l", "", "Label selector to filter on, e.g. -l team=shop")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Output format: json or yaml (default: a table)")
	return cmd
}

func (o *listOptions) run(ctx context.Context) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	var opts []client.ListOption
	ns := ""
	if !o.allNamespaces {
		if ns, err = o.f.Namespace(); err != nil {
			return err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	if o.selector != "" {
		sel, err := labelSelector(o.selector)
		if err != nil {
			return err
		}
		opts = append(opts, client.MatchingLabelsSelector{Selector: sel})
	}
	var list v1alpha1.RolloutList
	if err := c.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("list rollouts: %w", err)
	}
	sortRollouts(list.Items)
	if o.output != "" {
		return printObject(o.f.streams.Out, &list, o.output)
	}
	if len(list.Items) == 0 {
		if o.allNamespaces {
			fmt.Fprintln(o.f.streams.ErrOut, "No rollouts found.")
		} else {
			fmt.Fprintf(o.f.streams.ErrOut, "No rollouts found in %s namespace.\n", ns)
		}
		return nil
	}
	return renderList(o.f.streams.Out, list.Items, o.allNamespaces, o.f.Now())
}

func sortRollouts(items []v1alpha1.Rollout) {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Namespace != items[j].Namespace {
			return items[i].Namespace < items[j].Namespace
		}
		return items[i].Name < items[j].Name
	})
}

// renderList writes the table of `list`, like kubectl get.
func renderList(w io.Writer, items []v1alpha1.Rollout, withNamespace bool, now time.Time) error {
	tw := printers.GetNewTabWriter(w)
	cols := []string{"NAME", "STRATEGY", "PHASE", "STEP", "WEIGHT", "READY", "AGE"}
	if withNamespace {
		cols = append([]string{"NAMESPACE"}, cols...)
	}
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for i := range items {
		ro := &items[i]
		step := stepText(ro)
		if step == "" {
			step = "-"
		}
		weight := "-"
		if ro.Status.Weights != nil && ro.Spec.Strategy.Canary != nil {
			weight = fmt.Sprintf("%d%%", ro.Status.Weights.Canary)
		}
		row := []string{
			ro.Name,
			strategyName(ro),
			phaseText(ro),
			step,
			weight,
			fmt.Sprintf("%d/%d", ro.Status.ReadyReplicas, desiredReplicas(ro)),
			age(ro.CreationTimestamp, now),
		}
		if withNamespace {
			row = append([]string{ro.Namespace}, row...)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
