package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// request is a one-shot request to the operator: an annotation whose value is a new token,
// acknowledged when the operator copies the token into status.handledRequests.
type request struct {
	// verb names the request in messages ("promote").
	verb string
	// annotation carries the token.
	annotation string
	// handled reads the acknowledged token.
	handled func(*v1alpha1.HandledRequests) string
	// check refuses a request that makes no sense for the Rollout as it is.
	check func(ro *v1alpha1.Rollout) error
	// describe says what happened, from the Rollout before and after the acknowledgement.
	describe func(before, after *v1alpha1.Rollout) string
}

var (
	promoteRequest = request{
		verb:       "promote",
		annotation: v1alpha1.AnnotationPromote,
		handled:    func(h *v1alpha1.HandledRequests) string { return h.Promote },
		check:      checkPromote,
		describe:   describePromote,
	}
	promoteFullRequest = request{
		verb:       "promote --full",
		annotation: v1alpha1.AnnotationPromoteFull,
		handled:    func(h *v1alpha1.HandledRequests) string { return h.PromoteFull },
		check:      checkPromoteFull,
		describe:   describePromoteFull,
	}
	abortRequest = request{
		verb:       "abort",
		annotation: v1alpha1.AnnotationAbort,
		handled:    func(h *v1alpha1.HandledRequests) string { return h.Abort },
		check:      checkAbort,
		describe:   describeAbort,
	}
	retryRequest = request{
		verb:       "retry",
		annotation: v1alpha1.AnnotationRetry,
		handled:    func(h *v1alpha1.HandledRequests) string { return h.Retry },
		check:      checkRetry,
		describe:   describeRetry,
	}
)

// refusal is the error of a command that makes no sense for the Rollout's state.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, args ...any) error { return &refusal{msg: fmt.Sprintf(format, args...)} }

// IsRefusal reports whether err is a command refused because it makes no sense for the
// Rollout's current state (for example promoting a Rollout that waits for nothing).
func IsRefusal(err error) bool {
	var r *refusal
	return errors.As(err, &r)
}

func checkPromote(ro *v1alpha1.Rollout) error {
	switch {
	case aborted(ro):
		return refuse("rollout %q is aborted (%s): promote does not resume an aborted update; run `kubectl stride retry %s` to start it again", ro.Name, ro.Status.Abort.Reason, ro.Name)
	case ro.Spec.Paused:
		return refuse("rollout %q is paused by spec.paused: run `kubectl stride resume %s` first", ro.Name, ro.Name)
	case waiting(ro):
		return nil
	case inFlight(ro):
		return refuse("nothing to promote: rollout %q is not waiting (%s); use --full to skip to the end", ro.Name, phaseText(ro))
	}
	return refuse("nothing to promote: rollout %q is %s at revision %s", ro.Name, phaseText(ro), restingRevision(ro))
}

func checkPromoteFull(ro *v1alpha1.Rollout) error {
	switch {
	case aborted(ro):
		return refuse("rollout %q is aborted (%s): run `kubectl stride retry %s` to start the update again", ro.Name, ro.Status.Abort.Reason, ro.Name)
	case ro.Spec.Paused:
		return refuse("rollout %q is paused by spec.paused: run `kubectl stride resume %s` first", ro.Name, ro.Name)
	case inFlight(ro):
		return nil
	}
	return refuse("nothing to promote: rollout %q is %s at revision %s", ro.Name, phaseText(ro), restingRevision(ro))
}

func checkAbort(ro *v1alpha1.Rollout) error {
	switch {
	case aborted(ro):
		return refuse("rollout %q is already aborted (%s): %s", ro.Name, ro.Status.Abort.Reason, ro.Status.Abort.Message)
	case inFlight(ro):
		return nil
	}
	return refuse("nothing to abort: rollout %q is %s at revision %s with no update in flight", ro.Name, phaseText(ro), restingRevision(ro))
}

func checkRetry(ro *v1alpha1.Rollout) error {
	if aborted(ro) {
		return nil
	}
	return refuse("nothing to retry: rollout %q is not aborted (it is %s)", ro.Name, phaseText(ro))
}

// stepOf is "2/4" for a canary's current step, "" otherwise.
func stepOf(ro *v1alpha1.Rollout) string {
	if ro.Spec.Strategy.Canary == nil || stepCount(ro) == 0 {
		return ""
	}
	if !stepsLeft(ro) {
		return "done"
	}
	return stepText(ro)
}

func withMessage(s string, ro *v1alpha1.Rollout) string {
	if ro.Status.Message != "" {
		return s + " (" + ro.Status.Message + ")"
	}
	return s
}

func describePromote(before, after *v1alpha1.Rollout) string {
	s := fmt.Sprintf("rollout %q promoted", after.Name)
	if b, a := stepOf(before), stepOf(after); b != "" && a != "" {
		s += fmt.Sprintf(": step %s -> %s", b, a)
	}
	return withMessage(s, after)
}

func describePromoteFull(before, after *v1alpha1.Rollout) string {
	s := fmt.Sprintf("rollout %q fully promoted: remaining steps and analyses skipped", after.Name)
	if b := stepOf(before); b != "" && b != "done" {
		s += fmt.Sprintf(" (from step %s)", b)
	}
	return withMessage(s, after)
}

func describeAbort(_, after *v1alpha1.Rollout) string {
	return withMessage(fmt.Sprintf("rollout %q aborted: all traffic back to stable revision %s", after.Name, restingRevision(after)), after)
}

func describeRetry(_, after *v1alpha1.Rollout) string {
	s := fmt.Sprintf("rollout %q retried: revision %s starts again", after.Name, after.Status.UpdatedRevision)
	if st := stepOf(after); st != "" && st != "done" {
		s += " at step " + st
	}
	return withMessage(s, after)
}

// requestOptions are the options every one-shot request command has.
type requestOptions struct {
	f    *factory
	wait time.Duration
}

func (o *requestOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.wait, "wait", 10*time.Second, "How long to wait for the operator to acknowledge the request (0: do not wait)")
}

// send checks the request against the Rollout, records it with a merge patch of the
// annotations, and waits for the operator to acknowledge it.
func (o *requestOptions) send(ctx context.Context, name string, r request) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	before, err := getRollout(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if err := r.check(before); err != nil {
		return err
	}
	token := o.f.Now().UTC().Format(time.RFC3339Nano)
	if err := patchAnnotations(ctx, c, before, map[string]string{
		r.annotation:                   token,
		v1alpha1.AnnotationRequestedBy: o.f.Requester(),
	}); err != nil {
		return fmt.Errorf("record %s request on rollout %s/%s: %w", r.verb, ns, name, err)
	}
	out := o.f.streams.Out
	if o.wait <= 0 {
		fmt.Fprintf(out, "%s requested for rollout %q\n", r.verb, name)
		return nil
	}
	var after *v1alpha1.Rollout
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, o.wait, true, func(ctx context.Context) (bool, error) {
		ro, err := getRollout(ctx, c, ns, name)
		if err != nil {
			if isFatal(err) {
				return false, err
			}
			return false, nil
		}
		if r.handled(&ro.Status.HandledRequests) == token {
			after = ro
			return true, nil
		}
		return false, nil
	})
	switch {
	case after != nil:
		fmt.Fprintln(out, r.describe(before, after))
		return nil
	case err != nil && isFatal(err):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	}
	fmt.Fprintf(out, "%s request recorded on rollout %q (%s=%s); the operator has not acted on it yet\n", r.verb, name, r.annotation, token)
	return nil
}

// patchAnnotations sets annotations with a JSON merge patch of metadata.annotations only:
// the spec is untouched, so a GitOps tool sees no drift.
func patchAnnotations(ctx context.Context, c client.Client, obj client.Object, ann map[string]string) error {
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": ann}})
	if err != nil {
		return err
	}
	return c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data))
}

// plainRequest is the plain-kubectl equivalent of a request, for help texts.
func plainRequest(annotation string) string {
	return fmt.Sprintf(`kubectl annotate rollout NAME %s="$(date +%%s)" --overwrite`, annotation)
}

func newPromoteCommand(f *factory) *cobra.Command {
	o := &requestOptions{f: f}
	full := false
	cmd := &cobra.Command{
		Use:   "promote NAME",
		Short: "Move a waiting update on: past a pause, an analysis, or a blue-green preview",
		Long: `Promote a Rollout's update past what it waits for: a pause step (timed or not), a
running or inconclusive step analysis, a blue-green preview waiting for promotion, or the
pause between two rolling batches. With --full every remaining step, pause and analysis is
skipped and the new revision is promoted to stable as soon as its pods are available
(a rolling update still keeps to maxSurge and maxUnavailable).

Promote refuses when the update waits for nothing (for example a Healthy Rollout), when it
is aborted (use retry) and when spec.paused is set (use resume).

The request is the annotation stride.dev/promote (stride.dev/promote-full with --full)
with a new value; the operator acts on it once and records the value in
status.handledRequests. The command waits --wait for that and prints what happened.

Plain kubectl: ` + plainRequest(v1alpha1.AnnotationPromote) + `
           or: ` + plainRequest(v1alpha1.AnnotationPromoteFull),
		Example: `  # Leave the current pause of rollout web
  kubectl stride promote web

  # Skip all remaining steps
  kubectl stride promote web --full`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := promoteRequest
			if full {
				r = promoteFullRequest
			}
			return o.send(cmd.Context(), args[0], r)
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "Skip all remaining steps and analyses")
	o.addFlags(cmd)
	return cmd
}

func newAbortCommand(f *factory) *cobra.Command {
	o := &requestOptions{f: f}
	cmd := &cobra.Command{
		Use:   "abort NAME",
		Short: "Abort the update in flight: all traffic back to the stable revision",
		Long: `Abort a Rollout's update: all traffic goes back to the stable revision at once, the
stable revision is scaled to full, and the new revision is scaled to zero after
abortScaleDownDelaySeconds. The Rollout becomes Degraded and stays so until retry or a new
template.

Abort refuses when no update is in flight or it is already aborted.

Plain kubectl: ` + plainRequest(v1alpha1.AnnotationAbort),
		Example:           `  kubectl stride abort web -n shop`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.send(cmd.Context(), args[0], abortRequest)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newRetryCommand(f *factory) *cobra.Command {
	o := &requestOptions{f: f}
	cmd := &cobra.Command{
		Use:   "retry NAME",
		Short: "Start an aborted update again from its first step",
		Long: `Retry an aborted update: the same revision starts again from its first step, with
new analysis runs.

Retry refuses when the Rollout is not aborted.

Plain kubectl: ` + plainRequest(v1alpha1.AnnotationRetry),
		Example:           `  kubectl stride retry web`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.send(cmd.Context(), args[0], retryRequest)
		},
	}
	o.addFlags(cmd)
	return cmd
}
