package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// rolloutResourceNames are the names `get rollout NAME` and `list rollouts` accept.
var rolloutResourceNames = map[string]bool{"rollout": true, "rollouts": true, "ro": true}

// rolloutNameArg reads "[rollout] NAME" arguments.
func rolloutNameArg(args []string) (string, error) {
	switch len(args) {
	case 1:
		if rolloutResourceNames[args[0]] {
			return "", errors.New("a rollout name is required (list them with `kubectl stride list`)")
		}
		return args[0], nil
	case 2:
		if !rolloutResourceNames[args[0]] {
			return "", fmt.Errorf("unknown resource type %q: only rollouts are shown this way", args[0])
		}
		return args[1], nil
	}
	return "", errors.New("a rollout name is required (list them with `kubectl stride list`)")
}

type getOptions struct {
	f        *factory
	watch    bool
	interval time.Duration
	output   string
	noColor  bool
}

func newGetCommand(f *factory) *cobra.Command {
	o := &getOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get rollout NAME",
		Short: "Show a rollout as a tree: step, weights, revisions, analysis runs",
		Long: `Show a Rollout as a tree: its phase and why, the current canary step and what it
waits for (time left in a pause, measurements of an analysis), traffic weights, each
revision with its ready pods and images, the AnalysisRuns of the update with their last
measured values, the conditions that matter, and the operator's message.

With -w the tree is redrawn as it changes (on a terminal in place; in a pipe a new block is
printed, after a blank line, only when the state changed). Symbols and colors are used on
a terminal only; --no-color (or NO_COLOR=1) turns colors off.

Plain kubectl: kubectl get rollout NAME -o yaml; kubectl get deploy -l stride.dev/rollout=NAME;
kubectl get analysisruns -l stride.dev/rollout=NAME`,
		Example: `  # The tree of rollout web in namespace shop
  kubectl stride get rollout web -n shop

  # Redraw it as it changes, checking every 2 seconds
  kubectl stride get rollout web -w --interval 2s

  # The Rollout object itself
  kubectl stride get rollout web -o yaml`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeRollouts(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := rolloutNameArg(args)
			if err != nil {
				return err
			}
			if err := checkOutput(o.output); err != nil {
				return err
			}
			return o.run(cmd.Context(), name)
		},
	}
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "Redraw the tree when it changes, until interrupted")
	cmd.Flags().DurationVar(&o.interval, "interval", time.Second, "How often to check for changes with -w")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Output format: json or yaml (default: the tree)")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "Do not use colors")
	return cmd
}

func (o *getOptions) run(ctx context.Context, name string) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	out := o.f.streams.Out
	st := outputStyle(out, o.noColor)
	sc := &screen{out: out, tty: st.unicode && o.output == ""}
	errs := &errorReporter{out: o.f.streams.ErrOut}
	draw := func(ctx context.Context) (bool, error) {
		if o.output != "" {
			ro, err := getRollout(ctx, c, ns, name)
			if err != nil {
				return false, err
			}
			var b strings.Builder
			if err := printObject(&b, ro, o.output); err != nil {
				return false, err
			}
			sc.show(b.String(), ro.ResourceVersion)
			return false, nil
		}
		v, err := fetchView(ctx, c, ns, name)
		if err != nil {
			return false, err
		}
		now := o.f.Now()
		text := renderTree(v, now, treeOptions{style: st, countdown: true})
		key := text
		if !sc.tty {
			key = renderTree(v, now, treeOptions{style: st})
		}
		sc.show(text, key)
		return false, nil
	}
	if !o.watch {
		_, err := draw(ctx)
		return err
	}
	err = pollEvery(ctx, o.interval, func(ctx context.Context) (bool, error) {
		done, err := draw(ctx)
		if err != nil && ended(ctx) != nil {
			return false, ended(ctx)
		}
		if err != nil && !isFatal(err) {
			errs.report(err)
			return false, nil
		}
		return done, err
	})
	if ctx.Err() != nil {
		return nil // interrupted: a watch ends this way
	}
	return err
}

// isFatal reports errors a watch does not retry: the Rollout is gone, or the caller is
// not allowed to read it.
func isFatal(err error) bool {
	var nf *notFoundError
	return errors.As(err, &nf) || isForbidden(err)
}
