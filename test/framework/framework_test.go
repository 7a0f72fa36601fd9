package framework_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	stridev1alpha1 "github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/test/framework"
)

// managersBuilt counts the managers NewManager built.
var managersBuilt atomic.Int32

const echoLabel = "framework-test/echo"

// echoReconciler marks each labelled ConfigMap with the number of the manager that saw it, so
// a test can tell a restarted manager from the first one.
type echoReconciler struct {
	client.Client
	number int32
}

func (r *echoReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cm := &corev1.ConfigMap{}
	if err := r.Get(ctx, req.NamespacedName, cm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	want := fmt.Sprint(r.number)
	if cm.Data["seenBy"] == want {
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(cm.DeepCopy())
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data["seenBy"] = want
	return ctrl.Result{}, r.Patch(ctx, cm, patch)
}

func newManager(cfg *rest.Config) (manager.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 framework.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	r := &echoReconciler{Client: mgr.GetClient(), number: managersBuilt.Add(1)}
	err = ctrl.NewControllerManagedBy(mgr).
		Named(fmt.Sprintf("echo-%d", r.number)).
		For(&corev1.ConfigMap{}).
		WithEventFilter(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[echoLabel] == "true" })).
		Complete(r)
	return mgr, err
}

func TestMain(m *testing.M) {
	os.Exit(framework.Run(m, framework.Options{NewManager: newManager, Prometheus: true}))
}

func TestDeploymentGetsReadyPodsAndServiceEndpoints(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	ctx := context.Background()
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
	if err := env.Client.Create(ctx, dep); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}},
	}
	if err := env.Client.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, time.Minute, "3 ready pods of Deployment web", func() (bool, error) {
		got := &appsv1.Deployment{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(dep), got); err != nil {
			return false, err
		}
		return got.Status.ReadyReplicas == 3, nil
	})
	framework.Eventually(t, time.Minute, "3 ready endpoints of Service web", func() (bool, error) {
		slices := &discoveryv1.EndpointSliceList{}
		if err := env.Client.List(ctx, slices, client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: "web"}); err != nil {
			return false, err
		}
		ready := 0
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					ready++
				}
			}
		}
		return ready == 3, nil
	})
}

func TestCRDsAreServed(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	tmpl := &stridev1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "ok", Namespace: ns},
		Spec: stridev1alpha1.AnalysisTemplateSpec{Metrics: []stridev1alpha1.Metric{{
			Name:     "up",
			Provider: stridev1alpha1.MetricProvider{Prometheus: &stridev1alpha1.PrometheusMetric{Address: "http://127.0.0.1:9090", Query: "up"}},
		}}},
	}
	if err := env.Client.Create(context.Background(), tmpl); err != nil {
		t.Fatal(err)
	}
	out, err := env.Kubectl(t, "get", "analysistemplates", "-n", ns, "-o", "name")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.TrimSpace(out) != "analysistemplate.stride.dev/ok" {
		t.Errorf("kubectl get analysistemplates = %q, want analysistemplate.stride.dev/ok", out)
	}
}

func TestKubectlSeesReadyNodes(t *testing.T) {
	out, err := framework.Default.Kubectl(t, "get", "nodes", "-l", "type=kwok",
		"-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}`)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(out, "kwok-node-0=True") {
		t.Errorf("nodes = %q, want kwok-node-0 Ready", out)
	}
}

func TestPrometheusScrapesTheMetricsSource(t *testing.T) {
	env := framework.Default
	src := env.Metrics
	labels := map[string]string{"service": "web-canary"}
	src.SetGauge("framework_test_ratio", labels, 0.5)
	src.AddCounter("framework_test_requests_total", labels, 3)
	env.WaitForSeries(t, `framework_test_ratio{service="web-canary"} == 0.5`)
	env.WaitForSeries(t, `framework_test_requests_total{job="stride-test"} == 3`)

	src.DeleteGauge("framework_test_ratio", labels)
	framework.Eventually(t, time.Minute, "the deleted gauge to be absent", func() (bool, error) {
		samples, err := env.QueryPrometheus(context.Background(), "framework_test_ratio")
		return len(samples) == 0, err
	})

	env.StopPrometheus()
	if _, err := env.QueryPrometheus(context.Background(), "up"); err == nil {
		t.Fatal("query succeeded while Prometheus was stopped")
	}
	if err := env.StartPrometheus(); err != nil {
		t.Fatal(err)
	}
	// The same URL answers again, with the data gathered before the restart.
	env.WaitForSeries(t, `max_over_time(framework_test_ratio[10m]) == 0.5`)
	src.AddCounter("framework_test_requests_total", labels, 1)
	env.WaitForSeries(t, `framework_test_requests_total == 4`)
}

func TestManagerRestart(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	ctx := context.Background()
	seenBy := func(name string) func() (bool, error) {
		return func() (bool, error) {
			cm := &corev1.ConfigMap{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, cm); err != nil {
				return false, err
			}
			return cm.Data["seenBy"] == fmt.Sprint(managersBuilt.Load()), nil
		}
	}
	create := func(name string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{echoLabel: "true"}}}
		if err := env.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}

	if !env.ManagerRunning() {
		t.Fatal("the manager does not run")
	}
	create("before")
	framework.Eventually(t, 30*time.Second, "the running manager to mark ConfigMap before", seenBy("before"))

	env.StopManager()
	if env.ManagerRunning() {
		t.Fatal("the manager still runs after StopManager")
	}
	built := managersBuilt.Load()
	create("while-stopped")
	if err := env.StartManager(); err != nil {
		t.Fatal(err)
	}
	if managersBuilt.Load() != built+1 {
		t.Fatalf("StartManager built %d managers, want 1", managersBuilt.Load()-built)
	}
	framework.Eventually(t, 30*time.Second, "the restarted manager to mark ConfigMap while-stopped", seenBy("while-stopped"))
	framework.Eventually(t, 30*time.Second, "the restarted manager to mark ConfigMap before again", seenBy("before"))
}

func TestMetricsSourceServesTextFormat(t *testing.T) {
	src, err := framework.NewMetricsSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.SetGauge("a_gauge", map[string]string{"b": "2", "a": "1"}, 0.25)
	src.AddCounter("a_counter_total", nil, 2)
	src.AddCounter("a_counter_total", nil, 3)
	src.SetGauge("gone", map[string]string{"x": "y"}, 1)
	src.DeleteGauge("gone", map[string]string{"x": "y"})

	resp, err := http.Get(src.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for _, want := range []string{`a_gauge{a="1",b="2"} 0.25`, "a_counter_total 5", "# TYPE a_counter_total counter"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `gone{`) {
		t.Errorf("/metrics still has the deleted series:\n%s", text)
	}
}

func TestMetricsSourceRefusesOtherLabelNames(t *testing.T) {
	src, err := framework.NewMetricsSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.SetGauge("g", map[string]string{"a": "1"}, 1)
	defer func() {
		if recover() == nil {
			t.Error("SetGauge with other label names did not panic")
		}
	}()
	src.SetGauge("g", map[string]string{"b": "1"}, 1)
}

// fatalRecorder records a Fatal call and stops the calling goroutine like testing.T does.
type fatalRecorder struct {
	testing.TB
	msg string
}

type fatalled struct{}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	panic(fatalled{})
}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalled{})
}

func TestEventuallyReportsWhatAndTheLastError(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	calls := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatalled); !ok {
					panic(r)
				}
			}
		}()
		framework.Eventually(rec, 300*time.Millisecond, "the moon", func() (bool, error) {
			calls++
			return false, fmt.Errorf("attempt %d failed", calls)
		})
	}()
	if calls < 2 {
		t.Errorf("cond called %d times, want several", calls)
	}
	for _, want := range []string{"the moon", fmt.Sprintf("attempt %d failed", calls), framework.Default.LogDir()} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("message %q lacks %q", rec.msg, want)
		}
	}

	calls = 0
	framework.Eventually(t, 10*time.Second, "the third call", func() (bool, error) {
		calls++
		return calls == 3, nil
	})
	if calls != 3 {
		t.Errorf("cond called %d times after success, want 3", calls)
	}
}
