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
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
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

// world is one test's namespace and its helpers.
type world struct {
	t  *testing.T
	ns string
	c  client.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	env := framework.Default
	return &world{t: t, ns: env.Namespace(t), c: env.Client}
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
func (w *world) services() {
	w.t.Helper()
	for _, n := range []string{"web-stable", "web-canary"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: w.ns},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "web"},
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}
		if err := w.c.Create(w.ctx(), svc); err != nil {
			w.t.Fatalf("create Service %s: %v", n, err)
		}
	}
}

// rollout is a canary Rollout "web" of container "web" with 1s scale-down delays.
func rollout(replicas int32, image string, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	delay := int32(1)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService:              "web-stable",
				CanaryService:              "web-canary",
				Steps:                      steps,
				ScaleDownDelaySeconds:      &delay,
				AbortScaleDownDelaySeconds: &delay,
			}},
		},
	}
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

func (w *world) get() *v1alpha1.Rollout {
	w.t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: "web"}, ro); err != nil {
		w.t.Fatalf("get Rollout web: %v", err)
	}
	return ro
}

// templateHash is the revision of the Rollout's current template.
func (w *world) templateHash() string {
	w.t.Helper()
	return plan.RevisionHash(&w.get().Spec.Template)
}

// waitFor polls the Rollout until cond holds.
func (w *world) waitFor(what string, timeout time.Duration, cond func(ro *v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	w.t.Helper()
	var last *v1alpha1.Rollout
	framework.Eventually(w.t, timeout, what, func() (bool, error) {
		ro := &v1alpha1.Rollout{}
		if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: "web"}, ro); err != nil {
			return false, err
		}
		last = ro
		if cond(ro) {
			return true, nil
		}
		return false, fmt.Errorf("phase %s step %s message %q", ro.Status.Phase, ro.Status.Step, ro.Status.Message)
	})
	return last
}

func healthyAt(rev string) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRevision == rev &&
			ro.Status.ObservedGeneration == ro.Generation
	}
}

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
func (w *world) deployment(rev string) *appsv1.Deployment {
	w.t.Helper()
	d := &appsv1.Deployment{}
	err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: controllers.DeploymentName("web", rev)}, d)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		w.t.Fatalf("get Deployment: %v", err)
	}
	return d
}

// deployments lists the Rollout's revision Deployments.
func (w *world) deployments() []appsv1.Deployment {
	w.t.Helper()
	var list appsv1.DeploymentList
	if err := w.c.List(w.ctx(), &list, client.InNamespace(w.ns), client.MatchingLabels{v1alpha1.LabelRollout: "web"}); err != nil {
		w.t.Fatalf("list Deployments: %v", err)
	}
	return list.Items
}

// selector is the revision a Service selects.
func (w *world) selector(svc string) string {
	w.t.Helper()
	s := &corev1.Service{}
	if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: svc}, s); err != nil {
		w.t.Fatalf("get Service %s: %v", svc, err)
	}
	return s.Spec.Selector[v1alpha1.LabelRevision]
}

// waitScales waits until the revision Deployments have these replicas, all ready.
func (w *world) waitScales(want map[string]int32) {
	w.t.Helper()
	framework.Eventually(w.t, time.Minute, fmt.Sprintf("revision scales %v", want), func() (bool, error) {
		for rev, n := range want {
			d := w.deployment(rev)
			if d == nil {
				return false, fmt.Errorf("no Deployment for %s", rev)
			}
			if *d.Spec.Replicas != n || d.Status.ReadyReplicas != n {
				return false, fmt.Errorf("%s: spec %d ready %d, want %d", rev, *d.Spec.Replicas, d.Status.ReadyReplicas, n)
			}
		}
		return true, nil
	})
}

// consistently checks that cond holds on every poll for the whole duration: an invariant
// over time, not a wait for an outcome.
func consistently(t *testing.T, d time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
	for {
		ok, err := cond()
		if !ok {
			t.Fatalf("%s: broken (%v)", what, err)
		}
		select {
		case <-end:
			return
		case <-tick.C:
		}
	}
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
