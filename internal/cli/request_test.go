package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

var token = now.UTC().Format(time.RFC3339Nano)

func TestRequestsRecordAnnotationsOnly(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ro         *v1alpha1.Rollout
		args       []string
		annotation string
		out        string
	}{
		{"promote", canaryMidPause(), []string{"promote", "web"}, v1alpha1.AnnotationPromote, `promote requested for rollout "web"`},
		{"promote --full", canaryMidPause(), []string{"promote", "web", "--full"}, v1alpha1.AnnotationPromoteFull, `promote --full requested for rollout "web"`},
		{"abort", canaryMidPause(), []string{"abort", "web"}, v1alpha1.AnnotationAbort, `abort requested for rollout "web"`},
		{"retry", canaryAborted(), []string{"retry", "web"}, v1alpha1.AnnotationRetry, `retry requested for rollout "web"`},
		{"promote blue-green", blueGreenWaiting(), []string{"promote", "api"}, v1alpha1.AnnotationPromote, `promote requested for rollout "api"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(tc.ro)
			before := getRO(t, c, "shop", tc.ro.Name)
			res := run(t, c, append(tc.args, "-n", "shop", "--wait=0")...)
			if res.err != nil {
				t.Fatalf("error: %v", res.err)
			}
			if strings.TrimSpace(res.out) != tc.out {
				t.Errorf("output = %q, want %q", res.out, tc.out)
			}
			after := getRO(t, c, "shop", tc.ro.Name)
			wantAnn := map[string]string{tc.annotation: token, v1alpha1.AnnotationRequestedBy: "kubectl-stride (tester)"}
			if diff := cmp.Diff(wantAnn, after.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before.Spec, after.Spec); diff != "" {
				t.Errorf("the spec changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestRequestsRefusedWhenPointless(t *testing.T) {
	healthy := canaryRollout()
	pausedBySpec := canaryMidPause()
	pausedBySpec.Spec.Paused = true
	allStepsDone := canaryMidPause()
	allStepsDone.Status.Phase = v1alpha1.RolloutPhaseProgressing
	allStepsDone.Status.PauseReason = ""
	allStepsDone.Status.CurrentStepIndex = ptr.To[int32](5)
	for _, tc := range []struct {
		name string
		ro   *v1alpha1.Rollout
		args []string
		want string
	}{
		{"promote healthy", healthy, []string{"promote", "web"}, `nothing to promote: rollout "web" is Healthy at revision 7c6d5b4a3`},
		{"promote --full healthy", healthy, []string{"promote", "web", "--full"}, `nothing to promote: rollout "web" is Healthy at revision 7c6d5b4a3`},
		{"promote aborted", canaryAborted(), []string{"promote", "web"}, "run `kubectl stride retry web` to start it again"},
		{"promote paused by spec", pausedBySpec, []string{"promote", "web"}, "run `kubectl stride resume web` first"},
		{"promote with all steps done", allStepsDone, []string{"promote", "web"}, `nothing to promote: rollout "web" is not waiting (Progressing); use --full to skip to the end`},
		{"abort healthy", healthy, []string{"abort", "web"}, `nothing to abort: rollout "web" is Healthy at revision 7c6d5b4a3 with no update in flight`},
		{"abort aborted", canaryAborted(), []string{"abort", "web"}, `rollout "web" is already aborted (AnalysisFailed)`},
		{"retry healthy", healthy, []string{"retry", "web"}, `nothing to retry: rollout "web" is not aborted (it is Healthy)`},
		{"retry in flight", canaryMidPause(), []string{"retry", "web"}, `nothing to retry: rollout "web" is not aborted (it is Paused)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(tc.ro)
			res := run(t, c, append(tc.args, "-n", "shop", "--wait=0")...)
			if res.err == nil || !strings.Contains(res.err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", res.err, tc.want)
			}
			if !IsRefusal(res.err) || ExitCode(res.err) != ExitFailed {
				t.Errorf("want a refusal with exit code 1, got %T code %d", res.err, ExitCode(res.err))
			}
			if ann := getRO(t, c, "shop", tc.ro.Name).Annotations; len(ann) != 0 {
				t.Errorf("a refused request wrote annotations: %v", ann)
			}
		})
	}
}

// fakeOperator acknowledges the next request of the given annotation the way the operator
// does: it copies the token into status.handledRequests and moves the status on.
func fakeOperator(t *testing.T, c client.Client, annotation string, act func(ro *v1alpha1.Rollout)) {
	t.Helper()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			var ro v1alpha1.Rollout
			if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "web"}, &ro); err != nil {
				return false, nil
			}
			tok := ro.Annotations[annotation]
			if tok == "" {
				return false, nil
			}
			orig := ro.DeepCopy()
			switch annotation {
			case v1alpha1.AnnotationPromote:
				ro.Status.HandledRequests.Promote = tok
			case v1alpha1.AnnotationAbort:
				ro.Status.HandledRequests.Abort = tok
			case v1alpha1.AnnotationRetry:
				ro.Status.HandledRequests.Retry = tok
			case v1alpha1.AnnotationPromoteFull:
				ro.Status.HandledRequests.PromoteFull = tok
			}
			act(&ro)
			return true, c.Status().Patch(ctx, &ro, client.MergeFrom(orig))
		})
	}()
}

func TestPromoteWaitsForTheOperatorAndSaysWhatHappened(t *testing.T) {
	c := newFakeClient(canaryMidPause())
	fakeOperator(t, c, v1alpha1.AnnotationPromote, func(ro *v1alpha1.Rollout) {
		ro.Status.CurrentStepIndex = ptr.To[int32](2)
		ro.Status.Step = "3/5"
		ro.Status.Phase = v1alpha1.RolloutPhaseProgressing
		ro.Status.PauseReason = ""
		ro.Status.Message = "canary at 25%, running analysis web-5d8f7c9b4-step3 (step 3/5)"
	})
	res := run(t, c, "promote", "web", "-n", "shop", "--wait=20s")
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := `rollout "web" promoted: step 2/5 -> 3/5 (canary at 25%, running analysis web-5d8f7c9b4-step3 (step 3/5))` + "\n"
	if res.out != want {
		t.Errorf("output = %q, want %q", res.out, want)
	}
}

func TestAbortAndRetryReportTheOutcome(t *testing.T) {
	c := newFakeClient(canaryMidPause())
	fakeOperator(t, c, v1alpha1.AnnotationAbort, func(ro *v1alpha1.Rollout) {
		ro.Status = canaryAborted().Status
		ro.Status.HandledRequests.Abort = ro.Annotations[v1alpha1.AnnotationAbort]
		ro.Status.Message = "aborted by kubectl-stride (tester); all traffic on stable revision 7c6d5b4a3"
	})
	res := run(t, c, "abort", "web", "-n", "shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := `rollout "web" aborted: all traffic back to stable revision 7c6d5b4a3 (aborted by kubectl-stride (tester); all traffic on stable revision 7c6d5b4a3)`; strings.TrimSpace(res.out) != want {
		t.Errorf("abort output = %q, want %q", res.out, want)
	}

	fakeOperator(t, c, v1alpha1.AnnotationRetry, func(ro *v1alpha1.Rollout) {
		ro.Status.Abort = nil
		ro.Status.Phase = v1alpha1.RolloutPhaseProgressing
		ro.Status.CurrentStepIndex = ptr.To[int32](0)
		ro.Status.Step = "1/5"
		ro.Status.Message = ""
	})
	res = run(t, c, "retry", "web", "-n", "shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := `rollout "web" retried: revision 5d8f7c9b4 starts again at step 1/5`; strings.TrimSpace(res.out) != want {
		t.Errorf("retry output = %q, want %q", res.out, want)
	}
}

func TestRequestNotAcknowledgedInTimeIsStillRecorded(t *testing.T) {
	c := newFakeClient(canaryMidPause())
	res := run(t, c, "promote", "web", "-n", "shop", "--wait=300ms")
	if res.err != nil {
		t.Fatalf("want exit 0, got %v", res.err)
	}
	want := `promote request recorded on rollout "web" (stride.dev/promote=` + token + `); the operator has not acted on it yet`
	if strings.TrimSpace(res.out) != want {
		t.Errorf("output = %q, want %q", res.out, want)
	}
	if got := getRO(t, c, "shop", "web").Annotations[v1alpha1.AnnotationPromote]; got != token {
		t.Errorf("annotation = %q, want %q", got, token)
	}
}

func TestRequestOfMissingRollout(t *testing.T) {
	res := run(t, newFakeClient(), "promote", "nope", "-n", "shop")
	if res.err == nil || res.err.Error() != `rollout "nope" not found in namespace "shop"` {
		t.Errorf("error = %v", res.err)
	}
}
