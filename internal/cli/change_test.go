package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/plan"
)

func TestPauseAndResume(t *testing.T) {
	c := newFakeClient(canaryMidPause())
	res := run(t, c, "pause", "web", "-n", "shop")
	if res.err != nil || res.out != "rollout \"web\" paused\n" {
		t.Fatalf("pause: out %q err %v", res.out, res.err)
	}
	if !getRO(t, c, "shop", "web").Spec.Paused {
		t.Fatal("spec.paused not set")
	}
	if res := run(t, c, "pause", "web", "-n", "shop"); res.err == nil || res.err.Error() != `rollout "web" is already paused` {
		t.Errorf("second pause: err %v", res.err)
	}
	res = run(t, c, "resume", "web", "-n", "shop")
	if res.err != nil || res.out != "rollout \"web\" resumed\n" {
		t.Fatalf("resume: out %q err %v", res.out, res.err)
	}
	ro := getRO(t, c, "shop", "web")
	if ro.Spec.Paused {
		t.Fatal("spec.paused still set")
	}
	if diff := cmp.Diff(canaryMidPause().Spec, ro.Spec); diff != "" {
		t.Errorf("pause then resume changed the spec (-want +got):\n%s", diff)
	}
}

func TestResumeRefusals(t *testing.T) {
	res := run(t, newFakeClient(canaryMidPause()), "resume", "web", "-n", "shop")
	want := `rollout "web" is not paused by spec.paused; it waits for a pause step: run ` + "`kubectl stride promote web`" + ` to go on`
	if res.err == nil || res.err.Error() != want {
		t.Errorf("resume at a pause step: err %v, want %q", res.err, want)
	}
	res = run(t, newFakeClient(canaryRollout()), "resume", "web", "-n", "shop")
	if res.err == nil || res.err.Error() != `rollout "web" is not paused` {
		t.Errorf("resume of a healthy rollout: err %v", res.err)
	}
}

func TestRestartSetsTheTemplateAnnotation(t *testing.T) {
	c := newFakeClient(canaryRollout())
	res := run(t, c, "restart", "web", "-n", "shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := "rollout \"web\" restarted: a new revision rolls out with the Canary strategy (5 steps)\n"; res.out != want {
		t.Errorf("output = %q, want %q", res.out, want)
	}
	ro := getRO(t, c, "shop", "web")
	want := canaryRollout().Spec.Template
	want.Annotations = map[string]string{v1alpha1.AnnotationRestartedAt: "2026-11-22T12:00:00Z"}
	if diff := cmp.Diff(want, ro.Spec.Template); diff != "" {
		t.Errorf("template (-want +got):\n%s", diff)
	}
	if plan.RevisionHash(&ro.Spec.Template) == plan.RevisionHash(&want) && ro.Spec.Template.Annotations == nil {
		t.Error("restart did not make a new revision")
	}
}

func withSidecar(ro *v1alpha1.Rollout) *v1alpha1.Rollout {
	s := &ro.Spec.Template.Spec
	s.Containers = append(s.Containers, corev1.Container{Name: "proxy", Image: "envoy:1.30"})
	s.InitContainers = []corev1.Container{{Name: "migrate", Image: "web-migrate:1"}}
	return ro
}

func TestSetImage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		want       []string // images of app, proxy, migrate
		out        string
		errContain string
	}{
		{name: "one container", args: []string{"app=nginx:1.29"}, want: []string{"nginx:1.29", "envoy:1.30", "web-migrate:1"},
			out: `rollout "web" image updated: app nginx:1.27 -> nginx:1.29`},
		{name: "init container and sidecar", args: []string{"proxy=envoy:1.31", "migrate=web-migrate:2"}, want: []string{"nginx:1.27", "envoy:1.31", "web-migrate:2"},
			out: `rollout "web" image updated: proxy envoy:1.30 -> envoy:1.31, migrate web-migrate:1 -> web-migrate:2`},
		{name: "every container", args: []string{"*=busybox:1"}, want: []string{"busybox:1", "busybox:1", "busybox:1"},
			out: `rollout "web" image updated: app nginx:1.27 -> busybox:1, proxy envoy:1.30 -> busybox:1, migrate web-migrate:1 -> busybox:1`},
		{name: "unchanged", args: []string{"app=nginx:1.27"}, want: []string{"nginx:1.27", "envoy:1.30", "web-migrate:1"},
			out: `rollout "web" unchanged: the images are already set`},
		{name: "unknown container", args: []string{"web=nginx:1.29"}, want: []string{"nginx:1.27", "envoy:1.30", "web-migrate:1"},
			errContain: `rollout "web" has no container "web"; its containers are: app, proxy (init: migrate)`},
		{name: "malformed", args: []string{"nginx:1.29"}, want: []string{"nginx:1.27", "envoy:1.30", "web-migrate:1"},
			errContain: `"nginx:1.29" is not CONTAINER=IMAGE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(withSidecar(canaryRollout()))
			res := run(t, c, append([]string{"set", "image", "web", "-n", "shop"}, tc.args...)...)
			if tc.errContain != "" {
				if res.err == nil || !strings.Contains(res.err.Error(), tc.errContain) {
					t.Fatalf("error = %v, want %q", res.err, tc.errContain)
				}
			} else if res.err != nil {
				t.Fatal(res.err)
			} else if strings.TrimSpace(res.out) != tc.out {
				t.Errorf("output = %q, want %q", res.out, tc.out)
			}
			s := getRO(t, c, "shop", "web").Spec.Template.Spec
			got := []string{s.Containers[0].Image, s.Containers[1].Image, s.InitContainers[0].Image}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImagePatchTestsContainerNames(t *testing.T) {
	got, err := imagePatch([]imageChange{{field: "containers", index: 1, container: "proxy", to: "envoy:2"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"op":"test","path":"/spec/template/spec/containers/1/name","value":"proxy"},{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"envoy:2"}]`
	if string(got) != want {
		t.Errorf("patch = %s, want %s", got, want)
	}
}

// apiServerDefaults fills a pod template the way the API server defaults a Deployment's.
func apiServerDefaults(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	t = *t.DeepCopy()
	s := &t.Spec
	if s.DNSPolicy == "" {
		s.DNSPolicy = corev1.DNSClusterFirst
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To[int64](30)
	}
	if s.SchedulerName == "" {
		s.SchedulerName = corev1.DefaultSchedulerName
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.ImagePullPolicy == "" {
			c.ImagePullPolicy = defaultPullPolicy(c.Image)
		}
		if c.TerminationMessagePath == "" {
			c.TerminationMessagePath, c.TerminationMessagePolicy = corev1.TerminationMessagePathDefault, corev1.TerminationMessageReadFile
		}
		if p := c.ReadinessProbe; p != nil && p.PeriodSeconds == 0 {
			p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = 1, 10, 1, 3
		}
	}
	for i := range s.Volumes {
		if cm := s.Volumes[i].ConfigMap; cm != nil && cm.DefaultMode == nil {
			cm.DefaultMode = ptr.To[int32](0o644)
		}
	}
	return t
}

// revisionFromTemplate is the revision Deployment the operator makes for a template: the
// template's hash, Stride's labels, and the API server's defaults.
func revisionFromTemplate(ro *v1alpha1.Rollout, number int64, tmpl corev1.PodTemplateSpec) *appsv1.Deployment {
	hash := plan.RevisionHash(&tmpl)
	d := revision(ro, hash, number, "", 0, 0)
	d.Spec.Template = apiServerDefaults(tmpl)
	d.Spec.Template.Labels = map[string]string{}
	for k, v := range tmpl.Labels {
		d.Spec.Template.Labels[k] = v
	}
	d.Spec.Template.Labels[v1alpha1.LabelRollout] = ro.Name
	d.Spec.Template.Labels[v1alpha1.LabelRevision] = hash
	return d
}

func TestUndo(t *testing.T) {
	v1 := podTemplate("web", "nginx:1.26")
	v1.Annotations = map[string]string{"team": "shop"}
	v1.Spec.Volumes = []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "web-conf"}}}}}
	v2 := podTemplate("web", "nginx:1.27")
	// Written by hand with values that are also the API server's defaults: undo must keep them.
	v2.Spec.RestartPolicy = corev1.RestartPolicyAlways
	v2.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}}}
	v3 := podTemplate("web", "nginx:1.28")

	newRollout := func() (*v1alpha1.Rollout, []*appsv1.Deployment) {
		ro := canaryRollout()
		ro.Spec.Template = v3
		ro.Status.RevisionNumber = 3
		ro.Status.UpdatedRevision = plan.RevisionHash(&v3)
		ro.Status.StableRevision = ro.Status.UpdatedRevision
		return ro, []*appsv1.Deployment{revisionFromTemplate(ro, 1, v1), revisionFromTemplate(ro, 2, v2), revisionFromTemplate(ro, 3, v3)}
	}

	for _, tc := range []struct {
		name string
		args []string
		want corev1.PodTemplateSpec
		out  string
	}{
		{"previous revision", nil, v2, `rollout "web" rolled back to revision 2 (` + plan.RevisionHash(&v2) + `, nginx:1.27)`},
		{"revision 1", []string{"--to-revision", "1"}, v1, `rollout "web" rolled back to revision 1 (` + plan.RevisionHash(&v1) + `, nginx:1.26)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro, deps := newRollout()
			c := newFakeClient(ro, deps[0], deps[1], deps[2])
			res := run(t, c, append([]string{"undo", "web", "-n", "shop"}, tc.args...)...)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if strings.TrimSpace(res.out) != tc.out {
				t.Errorf("output = %q, want %q", res.out, tc.out)
			}
			got := getRO(t, c, "shop", "web").Spec.Template
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("template (-want +got):\n%s", diff)
			}
			if plan.RevisionHash(&got) != plan.RevisionHash(&tc.want) {
				t.Error("the restored template has another revision hash: it would roll out as a new revision")
			}
		})
	}

	t.Run("unknown revision", func(t *testing.T) {
		ro, deps := newRollout()
		c := newFakeClient(ro, deps[0], deps[1], deps[2])
		res := run(t, c, "undo", "web", "-n", "shop", "--to-revision", "7")
		want := `revision 7 not found for rollout "web"; available revisions: 1, 2, 3 (current)`
		if res.err == nil || res.err.Error() != want {
			t.Errorf("error = %v, want %q", res.err, want)
		}
		if diff := cmp.Diff(v3, getRO(t, c, "shop", "web").Spec.Template); diff != "" {
			t.Errorf("the template changed (-want +got):\n%s", diff)
		}
	})
	t.Run("current revision", func(t *testing.T) {
		ro, deps := newRollout()
		res := run(t, newFakeClient(ro, deps[0], deps[1], deps[2]), "undo", "web", "-n", "shop", "--to-revision", "3")
		if res.err == nil || res.err.Error() != `revision 3 is the current revision of rollout "web"` {
			t.Errorf("error = %v", res.err)
		}
	})
	t.Run("no earlier revision", func(t *testing.T) {
		ro, deps := newRollout()
		ro.Status.RevisionNumber = 1
		res := run(t, newFakeClient(ro, deps[0]), "undo", "web", "-n", "shop")
		if res.err == nil || !strings.Contains(res.err.Error(), `rollout "web" has no revision before revision 1 to go back to`) {
			t.Errorf("error = %v", res.err)
		}
	})
}

func TestRestoreTemplateKeepsDefaultsItCannotAttribute(t *testing.T) {
	ro := canaryRollout()
	d := revisionFromTemplate(ro, 1, podTemplate("web", "nginx:1.26"))
	d.Labels[v1alpha1.LabelRevision] = "0000000000" // a hash no variant reproduces
	d.Spec.Template.Labels[v1alpha1.LabelRevision] = "0000000000"
	d.Labels[v1alpha1.LabelRevision] = "0000000000"
	got, exact := restoreTemplate(d)
	if exact {
		t.Fatal("want no exact match")
	}
	if got.Spec.DNSPolicy != corev1.DNSClusterFirst || got.Labels[v1alpha1.LabelRevision] != "" || got.Labels["app"] != "web" {
		t.Errorf("want the Deployment's template with Stride's labels removed and all else kept, got %+v", got)
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"nginx":                         corev1.PullAlways,
		"nginx:latest":                  corev1.PullAlways,
		"nginx:1.27":                    corev1.PullIfNotPresent,
		"registry:5000/team/app":        corev1.PullAlways,
		"registry:5000/team/app:v2":     corev1.PullIfNotPresent,
		"nginx@sha256:0123456789abcdef": corev1.PullIfNotPresent,
	} {
		if got := defaultPullPolicy(image); got != want {
			t.Errorf("defaultPullPolicy(%q) = %s, want %s", image, got, want)
		}
	}
}

func TestRequesterFromKubeconfig(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := dir + "/config"
	data := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: alice, user: {token: t1}}, {name: bob, user: {token: t2}}]
contexts: [{name: a, context: {cluster: c, user: alice}}, {name: b, context: {cluster: c, user: bob}}]
current-context: a
`
	if err := writeFile(kubeconfig, data); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubeconfig", kubeconfig}, "kubectl-stride (alice)"},
		{[]string{"--kubeconfig", kubeconfig, "--context", "b"}, "kubectl-stride (bob)"},
		{[]string{"--kubeconfig", kubeconfig, "--as", "carol"}, "kubectl-stride (carol)"},
	} {
		f := newFactory(Options{})
		fs := newConfigFlagsForTest(f)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := f.Requester(); got != tc.want {
			t.Errorf("%v: Requester() = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestStatusExitCodes(t *testing.T) {
	stale := canaryRollout()
	stale.Generation = 3 // a new spec the operator has not seen: Healthy is stale
	paused := canaryMidPause()
	for _, tc := range []struct {
		name string
		ro   *v1alpha1.Rollout
		args []string
		code int
		out  string
		err  string
	}{
		{"healthy", canaryRollout(), nil, ExitOK, `rollout "web" successfully rolled out: revision 7c6d5b4a3 is Healthy` + "\n", ""},
		{"degraded", canaryAborted(), nil, ExitFailed, "", `rollout "web" is Degraded: analysis web-5d8f7c9b4-step3 failed`},
		{"paused, until paused", paused, []string{"--until-paused"}, ExitOK, `rollout "web" is Paused: canary at 25%, paused for 30s until 12:00:18 UTC` + "\n", ""},
		{"paused times out", paused, []string{"--timeout", "200ms"}, ExitTimeout,
			`rollout "web": Paused, step 2/5, canary 25%: canary at 25%, paused for 30s until 12:00:18 UTC` + "\n", `timed out after 200ms waiting for rollout "web"`},
		{"unobserved generation times out", stale, []string{"--timeout", "200ms"}, ExitTimeout, "", `generation 3 not yet observed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, newFakeClient(tc.ro), append([]string{"status", "web", "-n", "shop", "--interval", "20ms"}, tc.args...)...)
			if code := ExitCode(res.err); code != tc.code {
				t.Fatalf("exit code %d (err %v), want %d", code, res.err, tc.code)
			}
			if tc.out != "" && res.out != tc.out {
				t.Errorf("output = %q, want %q", res.out, tc.out)
			}
			if tc.err != "" && (res.err == nil || !strings.Contains(res.err.Error(), tc.err)) {
				t.Errorf("error = %v, want one containing %q", res.err, tc.err)
			}
		})
	}
}

func TestStatusPrintsEachChangeUntilHealthy(t *testing.T) {
	base := newFakeClient(canaryMidPause())
	// The operator moves the rollout on between two reads of status: read 1 sees the pause,
	// reads 2 and 3 the canary at 50%, read 4 on a Healthy rollout.
	states := map[int]func(ro *v1alpha1.Rollout){
		2: func(ro *v1alpha1.Rollout) {
			ro.Status.Phase = v1alpha1.RolloutPhaseProgressing
			ro.Status.PauseReason = ""
			ro.Status.CurrentStepIndex = ptr.To[int32](3)
			ro.Status.Step = "4/5"
			ro.Status.Weights = &v1alpha1.TrafficWeights{Canary: 50, Stable: 50}
			ro.Status.Message = "canary at 50%: waiting for pods"
		},
		4: func(ro *v1alpha1.Rollout) {
			ro.Status = canaryRollout().Status
			ro.Status.ObservedGeneration = 3
			ro.Status.StableRevision, ro.Status.UpdatedRevision = hashV2, hashV2
		},
	}
	reads := 0
	c := interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, cl client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*v1alpha1.Rollout); ok {
				reads++
				if change := states[reads]; change != nil {
					var ro v1alpha1.Rollout
					if err := cl.Get(ctx, key, &ro); err != nil {
						return err
					}
					orig := ro.DeepCopy()
					change(&ro)
					if err := cl.Status().Patch(ctx, &ro, client.MergeFrom(orig)); err != nil {
						return err
					}
				}
			}
			return cl.Get(ctx, key, obj, opts...)
		},
	})
	res := run(t, c, "status", "web", "-n", "shop", "--interval", "10ms", "--timeout", "20s")
	if res.err != nil {
		t.Fatalf("err %v, output:\n%s", res.err, res.out)
	}
	want := `rollout "web": Paused, step 2/5, canary 25%: canary at 25%, paused for 30s until 12:00:18 UTC
rollout "web": Progressing, step 4/5, canary 50%: canary at 50%: waiting for pods
rollout "web" successfully rolled out: revision 5d8f7c9b4 is Healthy
`
	if diff := cmp.Diff(want, res.out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestStatusWatchInPipePrintsTreeBlocks(t *testing.T) {
	res := run(t, newFakeClient(canaryAborted()), "status", "web", "-n", "shop", "-w", "--interval", "10ms")
	if ExitCode(res.err) != ExitFailed {
		t.Fatalf("exit code %d, want 1", ExitCode(res.err))
	}
	if !strings.HasPrefix(res.out, "Name:            web\nNamespace:       shop\nStatus:          Degraded") {
		t.Errorf("want the tree, got:\n%s", res.out)
	}
}

func TestGetRollout(t *testing.T) {
	ro := canaryMidPause()
	v := viewMidPause()
	c := newFakeClient(ro, &v.Revisions[0], &v.Revisions[1])
	for _, args := range [][]string{{"get", "rollout", "web"}, {"get", "web"}, {"get", "ro", "web"}} {
		res := run(t, c, append(args, "-n", "shop")...)
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := renderTree(v, now, treeOptions{countdown: true})
		if diff := cmp.Diff(want, res.out); diff != "" {
			t.Errorf("%v: output differs from the rendered tree (-want +got):\n%s", args, diff)
		}
	}
	res := run(t, c, "get", "rollout", "web", "-n", "shop", "-o", "yaml")
	if res.err != nil {
		t.Fatal(res.err)
	}
	for _, want := range []string{"apiVersion: stride.dev/v1alpha1\n", "kind: Rollout\n", "  name: web\n", "  step: 2/5\n"} {
		if !strings.Contains(res.out, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, res.out)
		}
	}
	if res := run(t, c, "get", "rollout", "web", "-n", "shop", "-o", "wide"); res.err == nil || !strings.Contains(res.err.Error(), `unknown output format "wide"`) {
		t.Errorf("-o wide: err %v", res.err)
	}
	if res := run(t, c, "get", "deployment", "web", "-n", "shop"); res.err == nil || !strings.Contains(res.err.Error(), `unknown resource type "deployment"`) {
		t.Errorf("get deployment: err %v", res.err)
	}
	if res := run(t, c, "get", "rollout", "-n", "shop"); res.err == nil || !strings.Contains(res.err.Error(), "a rollout name is required") {
		t.Errorf("get rollout without name: err %v", res.err)
	}
}

func TestGetSkipsDeploymentsOfAnotherOwner(t *testing.T) {
	ro := canaryMidPause()
	v := viewMidPause()
	leftover := revision(ro, "0a0a0a0a0", 9, "old:1", 1, 1)
	leftover.OwnerReferences[0].UID = "uid-of-a-deleted-rollout"
	c := newFakeClient(ro, &v.Revisions[0], &v.Revisions[1], leftover)
	res := run(t, c, "get", "rollout", "web", "-n", "shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if strings.Contains(res.out, "0a0a0a0a0") {
		t.Errorf("a Deployment of another Rollout is shown:\n%s", res.out)
	}
}

func TestList(t *testing.T) {
	other := canaryRollout()
	other.Namespace = "other"
	c := newFakeClient(canaryMidPause(), blueGreenWaiting(), rollingRollout(), other)
	res := run(t, c, "list", "-n", "shop")
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := "NAME   STRATEGY    PHASE    STEP   WEIGHT   READY   AGE\n" +
		"api    BlueGreen   Paused   -      -        4/2     3d\n" +
		"web    Canary      Paused   2/5    25%      4/4     26h\n"
	if res.out != want {
		t.Errorf("list -n shop:\n%s\nwant:\n%s", res.out, want)
	}
	res = run(t, c, "list", "rollouts", "-A")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := strings.Count(res.out, "\n"); got != 5 || !strings.HasPrefix(res.out, "NAMESPACE ") {
		t.Errorf("list -A: want a header and 4 rows:\n%s", res.out)
	}
	res = run(t, c, "list", "-n", "empty")
	if res.err != nil || res.out != "" || res.errOut != "No rollouts found in empty namespace.\n" {
		t.Errorf("empty namespace: out %q errOut %q err %v", res.out, res.errOut, res.err)
	}
	res = run(t, c, "list", "-n", "shop", "-o", "json")
	if res.err != nil || !strings.Contains(res.out, `"kind": "RolloutList"`) || !strings.Contains(res.out, `"kind": "Rollout"`) {
		t.Errorf("-o json: err %v\n%s", res.err, res.out)
	}
	if res := run(t, c, "list", "web"); res.err == nil {
		t.Error("list with a name: want an error")
	}
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }

func newConfigFlagsForTest(f *factory) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.flags.AddFlags(fs)
	return fs
}
