package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/cli"
	"github.com/stride-dev/stride/internal/plan"
	"github.com/stride-dev/stride/test/framework"
)

// pluginBinary is the kubectl-stride binary built by TestMain.
var pluginBinary string

// buildPlugin builds ./cmd/kubectl-stride into dir.
func buildPlugin(dir string) (string, error) {
	root, err := framework.RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "kubectl-stride")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/kubectl-stride")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/kubectl-stride: %w: %s", err, b)
	}
	return out, nil
}

// world is one test's namespace, with the shared helpers and the plugin's.
type world struct {
	*framework.World
	t  *testing.T
	ns string
	c  client.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fw := framework.NewWorld(t)
	return &world{World: fw, t: t, ns: fw.NS, c: fw.C}
}

func (w *world) ctx() context.Context { return context.Background() }

// result is what one plugin command did.
type result struct {
	out, errOut string
	code        int
	err         error
}

// stride runs the plugin in-process against the cluster, through its kubeconfig flags, in
// the test's namespace.
func (w *world) stride(args ...string) result {
	w.t.Helper()
	var out, errOut bytes.Buffer
	cmd := cli.NewRootCommandWithOptions(cli.Options{
		Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
	})
	cmd.SetArgs(append(args, "--kubeconfig", framework.Default.Kubeconfig, "-n", w.ns))
	ctx, cancel := context.WithTimeout(w.ctx(), 2*time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	r := result{out: out.String(), errOut: errOut.String(), code: cli.ExitCode(err), err: err}
	w.t.Logf("kubectl stride %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.errText())
	return r
}

// errText is the error as the binary prints it.
func (r result) errText() string {
	if r.err == nil {
		return r.errOut
	}
	return r.errOut + "error: " + r.err.Error() + "\n"
}

// mustStride runs a plugin command that must succeed.
func (w *world) mustStride(args ...string) string {
	w.t.Helper()
	r := w.stride(args...)
	if r.code != 0 {
		w.t.Fatalf("kubectl stride %s: exit %d: %s", strings.Join(args, " "), r.code, r.errText())
	}
	return r.out
}

// strideBinary runs the built kubectl-stride binary in the test's namespace.
func (w *world) strideBinary(args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pluginBinary, append(args, "--kubeconfig", framework.Default.Kubeconfig, "-n", w.ns)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{out: out.String(), errOut: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		w.t.Fatalf("run %s: %v", pluginBinary, err)
	}
	w.t.Logf("kubectl-stride %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.errOut)
	return r
}

// services creates the stable and canary Services the Rollouts name.
func (w *world) services() { w.Services("web-stable", "web-canary") }

// rollout is a canary Rollout "web" of container "web" with 1s scale-down delays.
func rollout(replicas int32, image string, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	delay := int32(1)
	return framework.RolloutOf("web", replicas, image, v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
		StableService:              "web-stable",
		CanaryService:              "web-canary",
		Steps:                      steps,
		ScaleDownDelaySeconds:      &delay,
		AbortScaleDownDelaySeconds: &delay,
	}})
}

func setWeight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }

// pause is a pause step; "" waits for promote.
func pause(d string) v1alpha1.CanaryStep {
	if d == "" {
		return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{}}
	}
	dur := v1alpha1.Duration(d)
	return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{Duration: &dur}}
}

// deploy creates the Services and the Rollout and waits until its first revision is
// Healthy; it returns that revision.
func (w *world) deploy(ro *v1alpha1.Rollout) string {
	w.t.Helper()
	w.services()
	ro.Namespace = w.ns
	if err := w.c.Create(w.ctx(), ro); err != nil {
		w.t.Fatalf("create Rollout: %v", err)
	}
	v1 := plan.RevisionHash(&ro.Spec.Template)
	w.waitFor("first revision healthy", time.Minute, healthyAt(v1))
	return v1
}

func (w *world) get() *v1alpha1.Rollout { return w.Get("web") }

// templateHash is the revision of the Rollout's current template.
func (w *world) templateHash() string {
	w.t.Helper()
	return plan.RevisionHash(&w.get().Spec.Template)
}

// waitFor polls the Rollout until cond holds.
func (w *world) waitFor(what string, timeout time.Duration, cond func(ro *v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	w.t.Helper()
	return w.WaitFor("web", what, timeout, cond)
}

var healthyAt = framework.HealthyAt

// atStep holds when the canary is at step index i (0-based) in phase.
func atStep(i int32, phase v1alpha1.RolloutPhase) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ObservedGeneration == ro.Generation && ro.Status.CurrentStepIndex != nil &&
			*ro.Status.CurrentStepIndex == i && ro.Status.Phase == phase
	}
}

func degraded(ro *v1alpha1.Rollout) bool {
	return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded && ro.Status.ObservedGeneration == ro.Generation
}

// deployment returns a revision's Deployment (nil when absent).
func (w *world) deployment(rev string) *appsv1.Deployment { return w.Deployment("web", rev) }

// deployments lists the Rollout's revision Deployments.
func (w *world) deployments() []appsv1.Deployment {
	w.t.Helper()
	var list appsv1.DeploymentList
	if err := w.c.List(w.ctx(), &list, client.InNamespace(w.ns), client.MatchingLabels{v1alpha1.LabelRollout: "web"}); err != nil {
		w.t.Fatalf("list Deployments: %v", err)
	}
	return list.Items
}

// waitScales waits until the revision Deployments have these replicas, all ready.
func (w *world) waitScales(want map[string]int32) {
	w.t.Helper()
	w.WaitScales("web", want)
}

// contains fails the test for each wanted substring missing from s.
func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, x := range want {
		if !strings.Contains(s, x) {
			t.Errorf("%s lacks %q:\n%s", what, x, s)
		}
	}
}

// kubectlBinary is the kubectl of the local control plane's binaries, or the one on PATH.
func kubectlBinary() string {
	if b, err := os.ReadFile(filepath.Join(framework.Default.Dir, "bin-dir")); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(b)), "kubectl"); fileExists(p) {
			return p
		}
	}
	return "kubectl"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
