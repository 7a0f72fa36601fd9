// Package cli_test drives the kubectl stride plugin end to end: each command runs against
// the local control plane while the operator runs in-process, and the tests check what the
// operator then does to real Deployments, Services and the Rollout's status. Most commands
// run in-process through the plugin's kubeconfig flags; some run the built binary, as
// kubectl would (`kubectl stride ...`).
package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
	"github.com/stride-dev/stride/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("STRIDE_E2E_SKIP") == "1" {
		return framework.Run(m, framework.Options{})
	}
	dir, err := os.MkdirTemp("", "stride-e2e-plugin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if pluginBinary, err = buildPlugin(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return framework.Run(m, framework.Options{
		NewManager: func(cfg *rest.Config) (manager.Manager, error) {
			return controllers.NewManager(cfg, controllers.Options{})
		},
	})
}

// TestPromote: promote releases an indefinite pause and the canary moves on to the next
// step with real replica counts; promote on a Healthy rollout, and resume on a rollout
// that waits at a pause step, are refused and change nothing.
func TestPromote(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(4, "web:v1", setWeight(25), pause(""), setWeight(75), pause("")))

	// Nothing to promote: refused, nothing written.
	before := w.get()
	r := w.stride("promote", "web")
	if r.code != 1 || r.err == nil {
		t.Fatalf("promote on a Healthy rollout: exit %d, want 1", r.code)
	}
	contains(t, "refusal", r.errText(), "nothing to promote", `rollout "web" is Healthy`, v1)
	if after := w.get(); after.ResourceVersion != before.ResourceVersion {
		t.Errorf("a refused promote wrote the Rollout: resourceVersion %s -> %s, annotations %v", before.ResourceVersion, after.ResourceVersion, after.Annotations)
	}

	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("indefinite pause at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.waitScales(map[string]int32{v1: 3, v2: 1})

	// resume is for spec.paused, not for a pause step: refused with the way on.
	r = w.stride("resume", "web")
	if r.code != 1 {
		t.Fatalf("resume at a pause step: exit %d, want 1", r.code)
	}
	contains(t, "resume refusal", r.errText(), "not paused by spec.paused", "kubectl stride promote web")
	if w.get().Spec.Paused {
		t.Errorf("a refused resume set spec.paused")
	}

	out := w.mustStride("promote", "web")
	contains(t, "promote output", out, `rollout "web" promoted: step 2/4 -> `)
	ro := w.waitFor("indefinite pause at step 4", time.Minute, atStep(3, v1alpha1.RolloutPhasePaused))
	w.waitScales(map[string]int32{v1: 1, v2: 3})
	if ro.Status.Weights == nil || ro.Status.Weights.Canary != 75 || ro.Status.Weights.Stable != 25 {
		t.Errorf("weights after promote: %+v", ro.Status.Weights)
	}
	if ro.Status.HandledRequests.Promote != ro.Annotations[v1alpha1.AnnotationPromote] || ro.Status.HandledRequests.Promote == "" {
		t.Errorf("promote token %q not acknowledged (handled %q)", ro.Annotations[v1alpha1.AnnotationPromote], ro.Status.HandledRequests.Promote)
	}
	if by := ro.Annotations[v1alpha1.AnnotationRequestedBy]; !strings.HasPrefix(by, "kubectl-stride (") {
		t.Errorf("requested-by %q", by)
	}

	// The last pause: promote completes the update.
	w.mustStride("promote", "web")
	w.waitFor("v2 stable", time.Minute, healthyAt(v2))
	if w.Selector("web-stable") != v2 || w.Selector("web-canary") != v2 {
		t.Errorf("after promotion: stable selects %s, canary %s; want %s", w.Selector("web-stable"), w.Selector("web-canary"), v2)
	}
	w.waitScales(map[string]int32{v2: 4, v1: 0})
}

// TestPromoteFull skips every remaining step: the update has three more indefinite pauses
// and still ends with a single command.
func TestPromoteFull(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(3, "web:v1", setWeight(10), pause(""), setWeight(50), pause(""), setWeight(80), pause("")))
	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("first pause", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.waitScales(map[string]int32{v1: 2, v2: 1})

	out := w.mustStride("promote", "web", "--full")
	contains(t, "promote --full output", out, "fully promoted", "from step 2/6")
	ro := w.waitFor("v2 stable", time.Minute, healthyAt(v2))
	if ro.Status.HandledRequests.PromoteFull == "" {
		t.Errorf("promote --full not acknowledged in status")
	}
	if w.Selector("web-stable") != v2 {
		t.Errorf("stable Service selects %s, want %s", w.Selector("web-stable"), v2)
	}
	w.waitScales(map[string]int32{v2: 3, v1: 0})
}

// TestAbortAndRetry: abort sends all traffic to stable at once and scales stable to full;
// retry starts the update again from its first step.
func TestAbortAndRetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50), pause("")))

	r := w.stride("abort", "web")
	if r.code != 1 {
		t.Fatalf("abort with nothing in flight: exit %d, want 1", r.code)
	}
	contains(t, "abort refusal", r.errText(), "nothing to abort")

	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("paused at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.waitScales(map[string]int32{v1: 1, v2: 1})
	if w.Selector("web-canary") != v2 {
		t.Fatalf("canary Service selects %s before the abort, want %s", w.Selector("web-canary"), v2)
	}

	out := w.mustStride("abort", "web")
	contains(t, "abort output", out, `rollout "web" aborted: all traffic back to stable revision `+v1)
	ro := w.waitFor("aborted", 30*time.Second, degraded)
	if ro.Status.Abort == nil || ro.Status.Abort.Reason != v1alpha1.ReasonAborted {
		t.Errorf("abort status %+v", ro.Status.Abort)
	}
	contains(t, "status message", ro.Status.Message, "aborted by kubectl-stride (")
	if w.Selector("web-canary") != v1 || w.Selector("web-stable") != v1 {
		t.Errorf("after abort: canary Service selects %s, stable %s; want %s", w.Selector("web-canary"), w.Selector("web-stable"), v1)
	}
	w.waitScales(map[string]int32{v1: 2, v2: 0})

	// Aborted: promote is refused and points to retry.
	r = w.stride("promote", "web")
	if r.code != 1 {
		t.Fatalf("promote of an aborted rollout: exit %d, want 1", r.code)
	}
	contains(t, "promote refusal", r.errText(), "is aborted", "kubectl stride retry web")

	out = w.mustStride("retry", "web")
	contains(t, "retry output", out, `rollout "web" retried: revision `+v2+" starts again")
	ro = w.waitFor("retried, paused at step 2 again", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	if ro.Status.Abort != nil {
		t.Errorf("abort still in status after retry: %+v", ro.Status.Abort)
	}
	if ro.Status.HandledRequests.Retry == "" {
		t.Errorf("retry not acknowledged in status")
	}
	w.waitScales(map[string]int32{v1: 1, v2: 1})
	if w.Selector("web-canary") != v2 {
		t.Errorf("after retry the canary Service selects %s, want %s", w.Selector("web-canary"), v2)
	}
}

// TestPauseAndResume: a Rollout paused by spec.paused does not leave a timed pause when its
// time is up, and goes on after resume.
func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50), pause("4s"), setWeight(100)))
	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("timed pause", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))

	out := w.mustStride("pause", "web")
	contains(t, "pause output", out, `rollout "web" paused`)
	ro := w.get()
	if !ro.Spec.Paused {
		t.Fatalf("spec.paused not set")
	}
	if ro.Status.CurrentStepIndex == nil || *ro.Status.CurrentStepIndex != 1 {
		t.Fatalf("the timed pause ended before the pause command took effect: step %v", ro.Status.CurrentStepIndex)
	}
	r := w.stride("pause", "web")
	if r.code != 1 {
		t.Errorf("pause twice: exit %d, want 1", r.code)
	}
	contains(t, "pause refusal", r.errText(), "already paused")

	// Longer than the whole 4s pause: still at step 2, canary at half.
	framework.Consistently(t, 6*time.Second, "a paused rollout stays in its timed pause", func() (bool, error) {
		cur := w.get()
		return cur.Status.CurrentStepIndex != nil && *cur.Status.CurrentStepIndex == 1, fmt.Errorf("step %v", cur.Status.CurrentStepIndex)
	})
	ro = w.get()
	if ro.Status.Phase != v1alpha1.RolloutPhasePaused || !meta.IsStatusConditionTrue(ro.Status.Conditions, v1alpha1.ConditionPaused) {
		t.Errorf("while paused: phase %s conditions %+v", ro.Status.Phase, ro.Status.Conditions)
	}
	w.waitScales(map[string]int32{v1: 1, v2: 1})

	out = w.mustStride("resume", "web")
	contains(t, "resume output", out, `rollout "web" resumed`)
	w.waitFor("v2 stable after resume", time.Minute, healthyAt(v2))
	w.waitScales(map[string]int32{v2: 2, v1: 0})
}

// TestSetImage: set image changes the template and a new revision Deployment appears with
// the new image, next to the old one.
func TestSetImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50), pause("")))

	r := w.stride("set", "image", "web", "nosuch=web:v2")
	if r.code != 1 {
		t.Fatalf("set image of an unknown container: exit %d, want 1", r.code)
	}
	contains(t, "set image error", r.errText(), `no container "nosuch"`, "its containers are: web")

	out := w.mustStride("set", "image", "web", "web=web:v2")
	contains(t, "set image output", out, `rollout "web" image updated: web web:v1 -> web:v2`)
	ro := w.get()
	if got := ro.Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Fatalf("template image %q", got)
	}
	v2 := w.templateHash()
	ro = w.waitFor("updated revision is the new template", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.UpdatedRevision == v2
	})
	framework.Eventually(t, 30*time.Second, "new revision Deployment", func() (bool, error) {
		return w.deployment(v2) != nil, nil
	})
	d := w.deployment(v2)
	if got := d.Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Errorf("new Deployment runs %q", got)
	}
	if w.deployment(v1) == nil || ro.Status.StableRevision != v1 {
		t.Errorf("stable revision %s, want %s with its Deployment kept", ro.Status.StableRevision, v1)
	}
	w.waitScales(map[string]int32{v1: 1, v2: 1})
}

// TestRestart: restart makes a new revision of the same image that rolls out and replaces
// the old one.
func TestRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50)))

	out := w.mustStride("restart", "web")
	contains(t, "restart output", out, `rollout "web" restarted`, "Canary strategy (1 step)")
	ro := w.get()
	v2 := w.templateHash()
	if v2 == v1 {
		t.Fatalf("restart left the template's revision at %s", v1)
	}
	if ro.Spec.Template.Annotations[v1alpha1.AnnotationRestartedAt] == "" {
		t.Errorf("no %s annotation in the template", v1alpha1.AnnotationRestartedAt)
	}
	w.waitFor("restarted revision stable", time.Minute, healthyAt(v2))
	d := w.deployment(v2)
	if d == nil || d.Spec.Template.Spec.Containers[0].Image != "web:v1" {
		t.Fatalf("restarted revision Deployment %v", d)
	}
	if w.Selector("web-stable") != v2 {
		t.Errorf("stable Service selects %s, want %s", w.Selector("web-stable"), v2)
	}
	w.waitScales(map[string]int32{v2: 2, v1: 0})
}

// TestUndo: undo --to-revision 1 restores revision 1's template exactly, so the Rollout goes
// back to revision 1 and reuses its Deployment; an unknown revision is an error listing the
// ones there are.
func TestUndo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50)))
	d1 := w.deployment(v1)
	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("v2 stable", time.Minute, healthyAt(v2))
	w.waitScales(map[string]int32{v2: 2, v1: 0})

	before := w.get()
	r := w.stride("undo", "web", "--to-revision", "7")
	if r.code != 1 {
		t.Fatalf("undo to a missing revision: exit %d, want 1", r.code)
	}
	contains(t, "undo error", r.errText(), "revision 7 not found", "available revisions: 1, 2 (current)")
	if after := w.get(); after.Generation != before.Generation {
		t.Errorf("a failed undo changed the spec: generation %d -> %d", before.Generation, after.Generation)
	}

	out := w.mustStride("undo", "web", "--to-revision", "1")
	contains(t, "undo output", out, `rollout "web" rolled back to revision 1 (`+v1)
	if strings.Contains(out, "new revision") {
		t.Errorf("undo did not restore revision 1's template exactly: %s", out)
	}
	if got := w.templateHash(); got != v1 {
		t.Fatalf("template after undo is revision %s, want %s", got, v1)
	}
	w.waitFor("revision 1 stable again", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return healthyAt(v1)(ro) && ro.Status.UpdatedRevision == v1
	})
	w.waitScales(map[string]int32{v1: 2, v2: 0})
	deps := w.deployments()
	if len(deps) != 2 {
		var names []string
		for _, d := range deps {
			names = append(names, d.Name)
		}
		t.Errorf("revision Deployments after undo: %v, want the two of revisions 1 and 2", names)
	}
	if d := w.deployment(v1); d == nil || d.UID != d1.UID {
		t.Errorf("revision 1's Deployment was not reused")
	}
	if w.Selector("web-stable") != v1 {
		t.Errorf("stable Service selects %s, want %s", w.Selector("web-stable"), v1)
	}
}

// TestStatusExitCodes runs the built binary, as a CI pipeline would: exit 0 when Healthy,
// 2 on --timeout at an indefinite pause (0 there with --until-paused), 1 once aborted.
func TestStatusExitCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(2, "web:v1", setWeight(50), pause("")))

	r := w.strideBinary("status", "web", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("status of a Healthy rollout: exit %d, want 0: %s", r.code, r.errOut)
	}
	contains(t, "status output", r.out, `rollout "web" successfully rolled out: revision `+v1+" is Healthy")

	w.strideBinary("set", "image", "web", "web=web:v2")
	w.waitFor("indefinite pause", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	r = w.strideBinary("status", "web", "--timeout", "2s")
	if r.code != 2 {
		t.Fatalf("status at an indefinite pause with --timeout: exit %d, want 2", r.code)
	}
	contains(t, "status timeout", r.errOut, `error: timed out after 2s waiting for rollout "web"`)
	if strings.Contains(r.errOut, "warning:") {
		t.Errorf("status warned of an error at its own deadline:\n%s", r.errOut)
	}
	r = w.strideBinary("status", "web", "--until-paused", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("status --until-paused at a pause: exit %d, want 0: %s", r.code, r.errOut)
	}
	contains(t, "status --until-paused", r.out, `rollout "web" is Paused`)

	if r := w.strideBinary("abort", "web"); r.code != 0 {
		t.Fatalf("abort: exit %d: %s", r.code, r.errOut)
	}
	w.waitFor("aborted", 30*time.Second, degraded)
	r = w.strideBinary("status", "web", "--timeout", "30s")
	if r.code != 1 {
		t.Fatalf("status of an aborted rollout: exit %d, want 1", r.code)
	}
	contains(t, "status of an aborted rollout", r.errOut, `error: rollout "web" is Degraded`, "aborted by")
}

// TestGetRollout spot-checks the tree of a live canary at a pause: step, weights, revisions
// and services, all from the cluster.
func TestGetRollout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v1 := w.deploy(rollout(4, "web:v1", setWeight(25), pause("")))
	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("paused at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))
	w.waitScales(map[string]int32{v1: 3, v2: 1})
	w.waitFor("ready replicas in status", 30*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ReadyReplicas == 4 && ro.Status.UpdatedReplicas == 1
	})

	out := w.mustStride("get", "rollout", "web")
	contains(t, "tree", out,
		"Name:            web\n",
		"Namespace:       "+w.ns+"\n",
		"Status:          Paused",
		"Strategy:        Canary",
		"Step:          2/2  pause, waiting for promote",
		"Weights:       canary 25%  stable 75%",
		"Services:      stable web-stable  canary web-canary",
		"web-"+v2+" (rev 2, canary)",
		"web-"+v1+" (rev 1, stable)",
		"1/1 ready",
		"3/3 ready",
		"web:v2",
		"Paused=True",
	)

	out = w.mustStride("get", "rollout", "web", "-o", "json")
	var ro v1alpha1.Rollout
	if err := json.Unmarshal([]byte(out), &ro); err != nil {
		t.Fatalf("get -o json: %v", err)
	}
	if ro.Status.UpdatedRevision != v2 || ro.Status.StableRevision != v1 {
		t.Errorf("get -o json: revisions %s/%s", ro.Status.UpdatedRevision, ro.Status.StableRevision)
	}
}

// TestListAllNamespaces: list -A shows the rollouts of two namespaces, through kubectl's
// plugin mechanism and the built binary; list without -A only the current namespace.
func TestListAllNamespaces(t *testing.T) {
	t.Parallel()
	a, b := newWorld(t), newWorld(t)
	a.deploy(rollout(1, "web:v1"))
	b.deploy(rollout(2, "web:v1", setWeight(50), pause("")))
	b.mustStride("set", "image", "web", "web=web:v2")
	b.waitFor("paused at step 2", time.Minute, atStep(1, v1alpha1.RolloutPhasePaused))

	// kubectl finds kubectl-stride on the PATH and runs `kubectl stride ...` with it.
	cmd := exec.Command(kubectlBinary(), "stride", "list", "rollouts", "-A")
	cmd.Env = append(os.Environ(),
		"KUBECONFIG="+framework.Default.Kubeconfig,
		"PATH="+filepath.Dir(pluginBinary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	raw, err := cmd.CombinedOutput()
	out := string(raw)
	t.Logf("kubectl stride list rollouts -A:\n%s", out)
	if err != nil {
		t.Fatalf("kubectl stride list rollouts -A: %v", err)
	}
	contains(t, "list -A", out, "NAMESPACE", "STRATEGY", "PHASE", "WEIGHT")
	rowA, rowB := row(out, a.ns), row(out, b.ns)
	if !strings.HasPrefix(rowA, a.ns+" ") || !strings.Contains(rowA, " web ") || !strings.Contains(rowA, "Healthy") || !strings.Contains(rowA, "1/1") {
		t.Errorf("row of %s: %q", a.ns, rowA)
	}
	if !strings.Contains(rowB, "Paused") || !strings.Contains(rowB, "2/2") || !strings.Contains(rowB, "50%") {
		t.Errorf("row of %s: %q", b.ns, rowB)
	}

	out = a.mustStride("list")
	if strings.Contains(out, b.ns) || strings.Contains(out, "NAMESPACE") || !strings.Contains(out, "web") {
		t.Errorf("list in %s:\n%s", a.ns, out)
	}
}

// row is the line of a table that starts with the first column value.
func row(table, first string) string {
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, first+" ") {
			return l
		}
	}
	return ""
}

// TestBlueGreenSteering: status waits at a blue-green preview, the tree shows the active and
// preview revisions, promote switches the active Service, abort and retry work the same
// as for a canary.
func TestBlueGreenSteering(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Services("web", "web-preview")
	manual, delay := false, int32(1)
	ro := framework.RolloutOf("web", 2, "web:v1", v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
		ActiveService: "web", PreviewService: "web-preview", AutoPromotionEnabled: &manual,
		ScaleDownDelaySeconds: &delay, AbortScaleDownDelaySeconds: &delay,
	}})
	w.Create(ro)
	v1 := w.waitFor("first revision healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision

	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	r := w.strideBinary("status", "web", "--until-paused", "--timeout", "1m")
	if r.code != 0 {
		t.Fatalf("status --until-paused at the preview: exit %d: %s", r.code, r.errOut)
	}
	contains(t, "status at the preview", r.out, `rollout "web" is Paused`, "waiting for promotion")
	out := w.mustStride("get", "rollout", "web")
	contains(t, "blue-green tree", out, "Strategy:        BlueGreen", "Active:        "+v1, "Preview:       "+v2,
		"waiting for promote", "(rev 2, preview)", "(rev 1, active)")

	// abort sends the preview away; retry brings it back to the preview.
	w.mustStride("abort", "web")
	w.waitFor("aborted", 30*time.Second, degraded)
	if got := w.Selector("web"); got != v1 {
		t.Errorf("active Service selects %s after abort, want %s", got, v1)
	}
	w.mustStride("retry", "web")
	w.waitFor("waiting for promotion again", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen && ro.Status.Abort == nil
	})

	out = w.mustStride("promote", "web")
	contains(t, "promote output", out, `rollout "web" promoted`)
	w.waitFor("v2 stable", time.Minute, healthyAt(v2))
	if got := w.Selector("web"); got != v2 {
		t.Errorf("active Service selects %s after promote, want %s", got, v2)
	}
	if r := w.stride("promote", "web"); r.code != 1 {
		t.Errorf("promote of a Healthy blue-green rollout: exit %d, want 1", r.code)
	}
}

// TestRollingSteering: a rolling update held between batches is shown with its progress,
// and promote skips the pause.
func TestRollingSteering(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Services("web")
	surge, unavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	pause := v1alpha1.Duration("1h")
	ro := framework.RolloutOf("web", 3, "web:v1", v1alpha1.RolloutStrategy{Rolling: &v1alpha1.RollingStrategy{
		Service: "web", MaxSurge: &surge, MaxUnavailable: &unavailable, PauseBetweenBatches: &pause,
	}})
	w.Create(ro)
	w.waitFor("first revision healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy))

	w.mustStride("set", "image", "web", "web=web:v2")
	v2 := w.templateHash()
	w.waitFor("paused after the first batch", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.Step == "1/3"
	})
	out := w.mustStride("get", "rollout", "web")
	contains(t, "rolling tree", out, "Strategy:        Rolling", "Progress:      1/3 pods updated", "between batches 1h")

	w.mustStride("promote", "web")
	w.waitFor("paused after the second batch", time.Minute, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.Step == "2/3"
	})
	w.mustStride("promote", "web", "--full")
	w.waitFor("v2 stable", time.Minute, healthyAt(v2))
}
