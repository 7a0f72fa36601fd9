// Package install_test installs Stride the two ways the README says (kubectl apply -k
// config/default, and the Helm chart) on the local control plane, checks the operator
// Deployment each makes, and runs the operator with exactly the permissions the install
// grants: as its ServiceAccount, with leader election in its namespace, as in a cluster.
package install_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
	"github.com/stride-dev/stride/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Run(m, framework.Options{})) // no operator: the test starts its own
}

// TestKustomizeInstallRunsACanary applies config/default, checks the operator Deployment
// it makes, and drives a canary with a web analysis step through an operator that holds
// only the installed RBAC.
func TestKustomizeInstallRunsACanary(t *testing.T) {
	env := framework.Default
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := env.Kubectl(t, "apply", "-k", filepath.Join(root, "config", "default")); err != nil {
		t.Fatalf("kubectl apply -k config/default: %v\n%s", err, out)
	}
	checkOperatorDeployment(t, "stride-system", "stride-manager")
	runCanaryAs(t, "stride-system", "stride-manager")
}

// TestHelmInstallRunsACanary installs charts/stride under another release name and does
// the same with the chart's ServiceAccount and RBAC.
func TestHelmInstallRunsACanary(t *testing.T) {
	env := framework.Default
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The CRDs are the ones config/crd installs (the chart's copy is checked by make verify).
	out, err := env.Helm(t, "install", "shipit", filepath.Join(root, "charts", "stride"), "--namespace", "shipit-system",
		"--create-namespace", "--skip-crds", "--set", "replicas=1", "--set", "watchNamespaces={a,b}", "--wait=false")
	if err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	dep := checkOperatorDeployment(t, "shipit-system", "shipit-manager")
	if args := strings.Join(dep.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--namespace=a,b") || !strings.Contains(args, "--leader-elect=false") {
		t.Errorf("chart values not in the operator's args: %s", args)
	}
	runCanaryAs(t, "shipit-system", "shipit-manager")
}

// checkOperatorDeployment reads the installed operator Deployment and checks that every
// flag it passes is one the operator knows.
func checkOperatorDeployment(t *testing.T, namespace, name string) *appsv1.Deployment {
	t.Helper()
	dep := &appsv1.Deployment{}
	if err := framework.Default.Client.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: name}, dep); err != nil {
		t.Fatalf("operator Deployment: %v", err)
	}
	args := dep.Spec.Template.Spec.Containers[0].Args
	joined := strings.Join(args, " ")
	for _, want := range []string{"--leader-elect", "--metrics-bind-address", "--health-probe-bind-address"} {
		if !strings.Contains(joined, want) {
			t.Errorf("operator args %q lack %s", joined, want)
		}
	}
	known := managerFlags(t)
	for _, a := range args {
		flag, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[flag] {
			t.Errorf("operator arg %s: the manager has no flag --%s", a, flag)
		}
	}
	return dep
}

var flagsOnce struct {
	sync.Once
	names map[string]bool
	err   error
}

// managerFlags are the flag names of the operator built from main.go, read from its
// --help.
func managerFlags(t *testing.T) map[string]bool {
	t.Helper()
	flagsOnce.Do(func() {
		root, err := framework.RepoRoot()
		if err != nil {
			flagsOnce.err = err
			return
		}
		bin := filepath.Join(t.TempDir(), "manager")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			flagsOnce.err = fmt.Errorf("go build: %w: %s", err, out)
			return
		}
		out, _ := exec.Command(bin, "--help").CombinedOutput() // the flag package exits 0 or 2
		flagsOnce.names = map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
			flagsOnce.names[m[1]] = true
		}
		if !flagsOnce.names["leader-elect"] {
			flagsOnce.err = fmt.Errorf("no flags read from manager --help:\n%s", out)
		}
	})
	if flagsOnce.err != nil {
		t.Fatal(flagsOnce.err)
	}
	return flagsOnce.names
}

// runCanaryAs runs the operator as the ServiceAccount namespace/name, with leader election
// in namespace, and drives a canary with a web analysis step through it.
func runCanaryAs(t *testing.T, namespace, name string) {
	env := framework.Default
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + name}
	mgr, err := controllers.NewManager(cfg, controllers.Options{
		MetricsBindAddress: "0", HealthProbeBindAddress: "0",
		LeaderElection: true, LeaderElectionNamespace: namespace,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("operator stopped with an error: %v", err)
		}
	})
	framework.Eventually(t, time.Minute, "the operator to hold its lease", func() (bool, error) {
		var leases coordinationv1.LeaseList
		if err := env.Client.List(context.Background(), &leases, client.InNamespace(namespace)); err != nil {
			return false, err
		}
		for _, l := range leases.Items {
			if l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" {
				return true, nil
			}
		}
		return false, fmt.Errorf("%d leases, none held", len(leases.Items))
	})

	// A web metric the test answers: the canary is healthy.
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"data": {"ok": 1}}`))
	}))
	t.Cleanup(health.Close)

	w := framework.NewWorld(t)
	w.Services("web-stable", "web-canary")
	interval, count := v1alpha1.Duration("1s"), int32(2)
	at := &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "ok", Namespace: w.NS},
		Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{
			Name: "ok", Interval: &interval, Count: &count, SuccessCondition: "result == 1",
			Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: health.URL, JSONPath: "{$.data.ok}"}},
		}}},
	}
	if err := w.C.Create(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	weight, delay := int32(50), int32(0)
	w.Create(framework.RolloutOf("web", 2, "web:v1", v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
		StableService: "web-stable", CanaryService: "web-canary", ScaleDownDelaySeconds: &delay,
		Steps: []v1alpha1.CanaryStep{
			{SetWeight: &weight},
			{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: "ok"}}}},
		},
	}}))
	v1 := w.WaitFor("web", "v1 healthy", time.Minute, framework.InPhase(v1alpha1.RolloutPhaseHealthy)).Status.StableRevision
	w.WatchServices("web-stable", "web-canary")
	v2 := w.SetImage("web", "web:v2")
	ro := w.WaitFor("web", "v2 promoted by its analysis", time.Minute, framework.HealthyAt(v2))
	if len(ro.Status.AnalysisRuns) != 1 || ro.Status.AnalysisRuns[0].Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("analysis runs %+v", ro.Status.AnalysisRuns)
	}
	w.WaitScales("web", map[string]int32{v1: 0, v2: 2})
	if got := w.Selector("web-stable"); got != v2 {
		t.Errorf("stable Service selects %s, want %s", got, v2)
	}
}
