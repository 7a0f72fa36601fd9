package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/stride-dev/stride/api/v1alpha1"
)

type statusOptions struct {
	f           *factory
	watch       bool
	timeout     time.Duration
	interval    time.Duration
	untilPaused bool
	noColor     bool
}

func newStatusCommand(f *factory) *cobra.Command {
	o := &statusOptions{f: f}
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Wait for a rollout to finish; exit 0 Healthy, 1 Degraded, 2 timeout",
		Long: `Wait until a Rollout's update ends, printing one line each time its state changes
(with -w: the whole tree, redrawn), like kubectl rollout status.

Exit codes:
  0  the Rollout is Healthy and the operator has acted on its latest spec
     (or, with --until-paused, it is Paused: waiting at a pause step or for a person)
  1  the Rollout is Degraded: its update was aborted (by a person, a failed analysis or the
     progress deadline), or an error occurred
  2  --timeout passed first

A Rollout waiting at a pause step keeps status waiting unless --until-paused is given.

Plain kubectl: kubectl wait rollout/NAME --for=condition=Ready --timeout=5m
(Ready is True when the update is complete; Stalled is True when it is aborted.)`,
		Example: `  # Wait for rollout web, at most 10 minutes
  kubectl stride status web --timeout 10m

  # Watch the tree while waiting
  kubectl stride status web -w

  # In a pipeline: go on once the canary reaches its first pause
  kubectl stride status web --until-paused && run-smoke-tests`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "Show the whole tree, redrawn as it changes")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "Give up after this long and exit 2 (0: wait forever)")
	cmd.Flags().DurationVar(&o.interval, "interval", time.Second, "How often to check the rollout")
	cmd.Flags().BoolVar(&o.untilPaused, "until-paused", false, "Also stop, with exit 0, when the rollout is Paused")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "Do not use colors")
	return cmd
}

// outcome is what `status` concludes from one look at a Rollout.
type outcome struct {
	done    bool
	code    int
	message string
}

// rolloutOutcome decides whether `status` stops: Healthy (and observed) ends with 0,
// Degraded by an abort or a stall with 1, Paused with 0 when untilPaused.
func rolloutOutcome(ro *v1alpha1.Rollout, untilPaused bool) outcome {
	if !observed(ro) {
		return outcome{}
	}
	switch ro.Status.Phase {
	case v1alpha1.RolloutPhaseHealthy:
		return outcome{done: true, code: ExitOK, message: fmt.Sprintf("rollout %q successfully rolled out: revision %s is Healthy", ro.Name, restingRevision(ro))}
	case v1alpha1.RolloutPhaseDegraded:
		stalled := meta.IsStatusConditionTrue(ro.Status.Conditions, v1alpha1.ConditionStalled)
		if ro.Status.Abort != nil || stalled {
			msg := ro.Status.Message
			if msg == "" && ro.Status.Abort != nil {
				msg = ro.Status.Abort.Message
			}
			return outcome{done: true, code: ExitFailed, message: fmt.Sprintf("rollout %q is Degraded: %s", ro.Name, msg)}
		}
	case v1alpha1.RolloutPhasePaused:
		if untilPaused {
			return outcome{done: true, code: ExitOK, message: fmt.Sprintf("rollout %q is Paused: %s", ro.Name, ro.Status.Message)}
		}
	}
	return outcome{}
}

func (o *statusOptions) run(ctx context.Context, name string) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	waitCtx := ctx
	if o.timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	out := o.f.streams.Out
	st := outputStyle(out, o.noColor)
	sc := &screen{out: out, tty: st.unicode}
	errs := &errorReporter{out: o.f.streams.ErrOut}
	lastLine := ""
	var last *v1alpha1.Rollout
	var result outcome

	err = pollEvery(waitCtx, o.interval, func(ctx context.Context) (bool, error) {
		var ro *v1alpha1.Rollout
		if o.watch {
			v, err := fetchView(ctx, c, ns, name)
			if err != nil {
				return handleWatchErr(ctx, err, errs)
			}
			ro = v.Rollout
			now := o.f.Now()
			text := renderTree(v, now, treeOptions{style: st, countdown: true})
			key := text
			if !sc.tty {
				key = renderTree(v, now, treeOptions{style: st})
			}
			sc.show(text, key)
		} else {
			r, err := getRollout(ctx, c, ns, name)
			if err != nil {
				return handleWatchErr(ctx, err, errs)
			}
			ro = r
		}
		errs.report(nil)
		last = ro
		result = rolloutOutcome(ro, o.untilPaused)
		if !o.watch && !result.done {
			if line := statusLine(ro); line != lastLine {
				fmt.Fprintln(out, line)
				lastLine = line
			}
		}
		return result.done, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		state := "it has not been read yet"
		if last != nil {
			state = statusLine(last)
		}
		return &ExitError{Code: ExitTimeout, Err: fmt.Errorf("timed out after %s waiting for rollout %q: %s", o.timeout, name, state)}
	case ctx.Err() != nil:
		return &ExitError{Code: ExitFailed, Err: errors.New("interrupted")}
	default:
		return err
	}
	if result.code != ExitOK {
		return &ExitError{Code: result.code, Err: errors.New(result.message)}
	}
	fmt.Fprintln(out, result.message)
	return nil
}

// handleWatchErr ends a watch on a fatal error or when ctx has ended (the request failed
// because of it), and reports a transient one.
func handleWatchErr(ctx context.Context, err error, errs *errorReporter) (bool, error) {
	if err := ended(ctx); err != nil {
		return false, err
	}
	if isFatal(err) {
		return false, err
	}
	errs.report(err)
	return false, nil
}
