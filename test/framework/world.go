package framework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/plan"
)

// World is one test's namespace on the package's cluster, with helpers that drive Rollouts
// the way a person with kubectl does and read what the operator made of them.
type World struct {
	T  *testing.T
	NS string
	C  client.Client
}

// NewWorld gives the test a fresh namespace on Default.
func NewWorld(t *testing.T) *World {
	t.Helper()
	return &World{T: t, NS: Default.Namespace(t), C: Default.Client}
}

func (w *World) ctx() context.Context { return context.Background() }

// Services creates Services selecting app=web.
func (w *World) Services(names ...string) {
	w.T.Helper()
	for _, n := range names {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: w.NS},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "web"},
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}
		if err := w.C.Create(w.ctx(), svc); err != nil {
			w.T.Fatalf("create Service %s: %v", n, err)
		}
	}
}

// RolloutOf builds a Rollout of app=web pods running image, with the given strategy.
func RolloutOf(name string, replicas int32, image string, strategy v1alpha1.RolloutStrategy) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
			},
			Strategy: strategy,
		},
	}
}

// Create creates the Rollout in the test's namespace.
func (w *World) Create(ro *v1alpha1.Rollout) {
	w.T.Helper()
	ro.Namespace = w.NS
	if err := w.C.Create(w.ctx(), ro); err != nil {
		w.T.Fatalf("create Rollout: %v", err)
	}
}

// Get reads a Rollout.
func (w *World) Get(name string) *v1alpha1.Rollout {
	w.T.Helper()
	ro := &v1alpha1.Rollout{}
	if err := w.C.Get(w.ctx(), types.NamespacedName{Namespace: w.NS, Name: name}, ro); err != nil {
		w.T.Fatalf("get Rollout %s: %v", name, err)
	}
	return ro
}

// Update changes a Rollout, retrying on conflicts.
func (w *World) Update(name string, mutate func(ro *v1alpha1.Rollout)) {
	w.T.Helper()
	for i := 0; ; i++ {
		ro := w.Get(name)
		mutate(ro)
		err := w.C.Update(w.ctx(), ro)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i > 10 {
			w.T.Fatalf("update Rollout %s: %v", name, err)
		}
	}
}

// SetImage changes the image of the first container and returns the new revision.
func (w *World) SetImage(name, image string) string {
	w.T.Helper()
	w.Update(name, func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Image = image })
	ro := w.Get(name)
	return plan.RevisionHash(&ro.Spec.Template)
}

// Request makes a one-shot request (promote, abort, retry ...) the way plain kubectl does.
func (w *World) Request(name, key string) {
	w.T.Helper()
	w.Update(name, func(ro *v1alpha1.Rollout) {
		if ro.Annotations == nil {
			ro.Annotations = map[string]string{}
		}
		ro.Annotations[key] = time.Now().Format(time.RFC3339Nano)
		ro.Annotations[v1alpha1.AnnotationRequestedBy] = "e2e"
	})
}

// Deployment returns a revision's Deployment (nil when absent).
func (w *World) Deployment(rollout, rev string) *appsv1.Deployment {
	w.T.Helper()
	d := &appsv1.Deployment{}
	err := w.C.Get(w.ctx(), types.NamespacedName{Namespace: w.NS, Name: rollout + "-" + rev}, d)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		w.T.Fatalf("get Deployment: %v", err)
	}
	return d
}

// Selector is the revision a Service selects ("" when it has no stride.dev/revision key).
func (w *World) Selector(svc string) string {
	w.T.Helper()
	s := &corev1.Service{}
	if err := w.C.Get(w.ctx(), types.NamespacedName{Namespace: w.NS, Name: svc}, s); err != nil {
		w.T.Fatalf("get Service %s: %v", svc, err)
	}
	return s.Spec.Selector[v1alpha1.LabelRevision]
}

// WaitFor polls the Rollout until cond holds and returns it.
func (w *World) WaitFor(name, what string, timeout time.Duration, cond func(ro *v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	w.T.Helper()
	var last *v1alpha1.Rollout
	Eventually(w.T, timeout, what, func() (bool, error) {
		ro := &v1alpha1.Rollout{}
		if err := w.C.Get(w.ctx(), types.NamespacedName{Namespace: w.NS, Name: name}, ro); err != nil {
			return false, err
		}
		last = ro
		if cond(ro) {
			return true, nil
		}
		return false, fmt.Errorf("phase %s step %q message %q", ro.Status.Phase, ro.Status.Step, ro.Status.Message)
	})
	return last
}

// HealthyAt holds when the Rollout is Healthy on rev and has acted on its generation.
func HealthyAt(rev string) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRevision == rev &&
			ro.Status.ObservedGeneration == ro.Generation
	}
}

// InPhase holds when the Rollout is in phase.
func InPhase(phase v1alpha1.RolloutPhase) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool { return ro.Status.Phase == phase }
}

// WaitScales waits until the revision Deployments have these replicas, all ready.
func (w *World) WaitScales(rollout string, want map[string]int32) {
	w.T.Helper()
	Eventually(w.T, time.Minute, fmt.Sprintf("revision scales %v", want), func() (bool, error) {
		for rev, n := range want {
			d := w.Deployment(rollout, rev)
			if d == nil {
				if n == 0 {
					continue
				}
				return false, fmt.Errorf("no Deployment for %s", rev)
			}
			if *d.Spec.Replicas != n || d.Status.ReadyReplicas != n {
				return false, fmt.Errorf("%s: spec %d ready %d, want %d", rev, *d.Spec.Replicas, d.Status.ReadyReplicas, n)
			}
		}
		return true, nil
	})
}

// Watch checks check every 50ms until the test ends, and fails the test (at its end) with
// the first violation it returned. check returns "" when all is well; a read error skips a
// poll.
func (w *World) Watch(what string, check func(ctx context.Context) (string, error)) {
	t := w.T
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var violations []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, err := check(ctx)
			if err != nil || v == "" {
				continue
			}
			mu.Lock()
			violations = append(violations, time.Now().Format("15:04:05.000")+" "+v)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(violations) > 0 {
			t.Errorf("%s: broken %d times, first: %s", what, len(violations), violations[0])
		}
	})
}

// WatchServices checks, until the test ends, that each Service always selects at least one
// Ready pod. The Service and its pods are two reads; a poll in which the Service's selector
// changed between them proves nothing and is skipped.
func (w *World) WatchServices(services ...string) {
	w.Watch("every Service selects a Ready pod", func(ctx context.Context) (string, error) {
		var bad []string
		for _, name := range services {
			n, sel, err := w.ReadyPodsSelected(ctx, name)
			if err != nil {
				return "", err
			}
			if n > 0 {
				continue
			}
			s := &corev1.Service{}
			if err := w.C.Get(ctx, types.NamespacedName{Namespace: w.NS, Name: name}, s); err != nil {
				return "", err
			}
			if labels.SelectorFromSet(s.Spec.Selector).String() == sel {
				bad = append(bad, fmt.Sprintf("Service %s (selector %s) selected no Ready pod", name, sel))
			}
		}
		return strings.Join(bad, "; "), nil
	})
}

// WatchReadyPods checks, until the test ends, that the Rollout's pods (of every revision)
// never count fewer than want Ready, not-terminating pods. It follows a watch of the pods,
// so it sees every state the API server went through, however brief.
func (w *World) WatchReadyPods(rollout string, want int) {
	t := w.T
	t.Helper()
	pods := Default.Clientset.CoreV1().Pods(w.NS)
	sel := v1alpha1.LabelRollout + "=" + rollout
	list, err := pods.List(w.ctx(), metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	ready := map[string]bool{}
	for i := range list.Items {
		ready[list.Items[i].Name] = podReady(&list.Items[i])
	}
	count := func() int {
		n := 0
		for _, r := range ready {
			if r {
				n++
			}
		}
		return n
	}
	if n := count(); n < want {
		t.Fatalf("only %d Ready pods before the watch starts, want %d", n, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	watcher, err := pods.Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		cancel()
		t.Fatalf("watch pods: %v", err)
	}
	var mu sync.Mutex
	var violations []string
	lowest := count()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range watcher.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(ready, p.Name)
			} else {
				ready[p.Name] = podReady(p)
			}
			n := count()
			mu.Lock()
			lowest = min(lowest, n)
			if n < want {
				violations = append(violations, fmt.Sprintf("%s %d Ready pods after %s of %s", time.Now().Format("15:04:05.000"), n, ev.Type, p.Name))
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		watcher.Stop()
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		t.Logf("fewest Ready pods seen: %d", lowest)
		if len(violations) > 0 {
			t.Errorf("at least %d Ready pods: broken %d times, first: %s", want, len(violations), violations[0])
		}
	})
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WatchRollout calls seen with every version of the Rollout the API server stores from now
// until the test ends (status patches included), in order, from one goroutine. Unlike a
// poll it misses no state, however brief.
func (w *World) WatchRollout(name string, seen func(ro *v1alpha1.Rollout)) {
	t := w.T
	t.Helper()
	wc, err := client.NewWithWatch(Default.Config, client.Options{Scheme: Scheme})
	if err != nil {
		t.Fatalf("watch client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	watcher, err := wc.Watch(ctx, &v1alpha1.RolloutList{}, client.InNamespace(w.NS), client.MatchingFields{"metadata.name": name})
	if err != nil {
		cancel()
		t.Fatalf("watch Rollout %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range watcher.ResultChan() {
			if ro, ok := ev.Object.(*v1alpha1.Rollout); ok {
				seen(ro)
			}
		}
	}()
	t.Cleanup(func() {
		watcher.Stop()
		cancel()
		<-done
	})
}

// WatchNeverSelects checks, until the test ends, that svc never selects rev.
func (w *World) WatchNeverSelects(svc, rev string) {
	w.Watch(fmt.Sprintf("Service %s never selects %s", svc, rev), func(ctx context.Context) (string, error) {
		s := &corev1.Service{}
		if err := w.C.Get(ctx, types.NamespacedName{Namespace: w.NS, Name: svc}, s); err != nil {
			return "", err
		}
		if s.Spec.Selector[v1alpha1.LabelRevision] == rev {
			return fmt.Sprintf("Service %s selected %s", svc, rev), nil
		}
		return "", nil
	})
}

// DesiredPods is the sum of spec.replicas over the Rollout's revision Deployments.
func (w *World) DesiredPods(ctx context.Context, rollout string) (int32, error) {
	var deps appsv1.DeploymentList
	if err := w.C.List(ctx, &deps, client.InNamespace(w.NS), client.MatchingLabels{v1alpha1.LabelRollout: rollout}); err != nil {
		return 0, err
	}
	var n int32
	for _, d := range deps.Items {
		if d.Spec.Replicas != nil {
			n += *d.Spec.Replicas
		}
	}
	return n, nil
}

// PodNames lists, sorted, the names of a revision's pods that are not terminating.
func (w *World) PodNames(rollout, rev string) []string {
	w.T.Helper()
	var pods corev1.PodList
	if err := w.C.List(w.ctx(), &pods, client.InNamespace(w.NS), client.MatchingLabels{v1alpha1.LabelRollout: rollout, v1alpha1.LabelRevision: rev}); err != nil {
		w.T.Fatalf("list pods: %v", err)
	}
	var names []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

// ReadyPodsSelected counts the Ready, not-terminating pods a Service selects.
func (w *World) ReadyPodsSelected(ctx context.Context, svc string) (int, string, error) {
	s := &corev1.Service{}
	if err := w.C.Get(ctx, types.NamespacedName{Namespace: w.NS, Name: svc}, s); err != nil {
		return 0, "", err
	}
	sel := labels.SelectorFromSet(s.Spec.Selector)
	n, err := w.readyPods(ctx, sel)
	return n, sel.String(), err
}

func (w *World) readyPods(ctx context.Context, sel labels.Selector) (int, error) {
	var pods corev1.PodList
	if err := w.C.List(ctx, &pods, client.InNamespace(w.NS), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return 0, err
	}
	n := 0
	for i := range pods.Items {
		if podReady(&pods.Items[i]) {
			n++
		}
	}
	return n, nil
}

// Consistently checks that cond holds on every poll for the whole duration: an invariant
// over time, not a wait for an outcome.
func Consistently(t testing.TB, d time.Duration, what string, cond func() (bool, error)) {
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

// Gauge sets the series name{revision=rev} in the metrics source and waits until
// Prometheus has scraped that value.
func (w *World) Gauge(name, rev string, v float64) {
	w.T.Helper()
	Default.Metrics.SetGauge(name, map[string]string{"revision": rev}, v)
	Default.WaitForSeries(w.T, fmt.Sprintf(`%s{revision=%q} == %v`, name, rev, v))
}

// RevisionWithImage is the revision the Rollout's template would have with image in its
// first container: what SetImage will return, known before the update starts.
func (w *World) RevisionWithImage(name, image string) string {
	w.T.Helper()
	ro := w.Get(name)
	ro.Spec.Template.Spec.Containers[0].Image = image
	return plan.RevisionHash(&ro.Spec.Template)
}

// Template creates an AnalysisTemplate with one metric, "success-rate", that reads the
// gauge metric{revision="{{rollout.canaryRevision}}"} from Prometheus every second, count
// times (0: until the update ends), and passes at 0.99 or more, fails below 0.95.
func (w *World) Template(name, metric string, count int32) {
	w.T.Helper()
	interval := v1alpha1.Duration("1s")
	at := &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.NS},
		Spec: v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{{
			Name:             "success-rate",
			Interval:         &interval,
			Count:            &count,
			SuccessCondition: "result >= 0.99",
			FailureCondition: "result < 0.95",
			Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
				Address: Default.PrometheusURL,
				Query:   fmt.Sprintf(`%s{revision="{{rollout.canaryRevision}}"}`, metric),
			}},
		}}},
	}
	if count == 0 {
		at.Spec.Metrics[0].Count = nil
	}
	if err := w.C.Create(w.ctx(), at); err != nil {
		w.T.Fatalf("create AnalysisTemplate: %v", err)
	}
}

// MetricName is a gauge name unique to the test: the metrics source fixes a name's label
// names at first use.
func MetricName(t testing.TB) string {
	return "success_rate_" + strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
}
