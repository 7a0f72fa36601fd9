package canary_test

import (
	"context"
	"fmt"
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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/controllers"
	"github.com/stride-dev/stride/internal/plan"
	"github.com/stride-dev/stride/test/framework"
)

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

// services creates the stable and canary Services.
func (w *world) services(names ...string) {
	w.t.Helper()
	for _, n := range names {
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

func rollout(name string, replicas int32, image string, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	delay := int32(2)
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name},
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

func pause(d string) v1alpha1.CanaryStep {
	if d == "" {
		return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{}}
	}
	dur := v1alpha1.Duration(d)
	return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{Duration: &dur}}
}

func (w *world) create(ro *v1alpha1.Rollout) {
	w.t.Helper()
	ro.Namespace = w.ns
	if err := w.c.Create(w.ctx(), ro); err != nil {
		w.t.Fatalf("create Rollout: %v", err)
	}
}

func (w *world) get(name string) *v1alpha1.Rollout {
	w.t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: name}, ro); err != nil {
		w.t.Fatalf("get Rollout %s: %v", name, err)
	}
	return ro
}

// update changes a Rollout, retrying on conflicts.
func (w *world) update(name string, mutate func(ro *v1alpha1.Rollout)) {
	w.t.Helper()
	for i := 0; ; i++ {
		ro := w.get(name)
		mutate(ro)
		err := w.c.Update(w.ctx(), ro)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i > 10 {
			w.t.Fatalf("update Rollout %s: %v", name, err)
		}
	}
}

func (w *world) setImage(name, image string) string {
	w.update(name, func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Image = image })
	ro := w.get(name)
	return plan.RevisionHash(&ro.Spec.Template)
}

// request makes a one-shot request the way plain kubectl does.
func (w *world) request(name, key string) {
	w.t.Helper()
	w.update(name, func(ro *v1alpha1.Rollout) {
		if ro.Annotations == nil {
			ro.Annotations = map[string]string{}
		}
		ro.Annotations[key] = time.Now().Format(time.RFC3339Nano)
		ro.Annotations[v1alpha1.AnnotationRequestedBy] = "e2e"
	})
}

// deployment returns a revision's Deployment (nil when absent).
func (w *world) deployment(rollout, rev string) *appsv1.Deployment {
	w.t.Helper()
	d := &appsv1.Deployment{}
	err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: controllers.DeploymentName(rollout, rev)}, d)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		w.t.Fatalf("get Deployment: %v", err)
	}
	return d
}

func (w *world) selector(svc string) string {
	w.t.Helper()
	s := &corev1.Service{}
	if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: svc}, s); err != nil {
		w.t.Fatalf("get Service %s: %v", svc, err)
	}
	return s.Spec.Selector[v1alpha1.LabelRevision]
}

// waitFor polls the Rollout until cond holds.
func (w *world) waitFor(name, what string, timeout time.Duration, cond func(ro *v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	w.t.Helper()
	var last *v1alpha1.Rollout
	framework.Eventually(w.t, timeout, what, func() (bool, error) {
		ro := &v1alpha1.Rollout{}
		if err := w.c.Get(w.ctx(), types.NamespacedName{Namespace: w.ns, Name: name}, ro); err != nil {
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

func atStep(i int32, phase v1alpha1.RolloutPhase) func(ro *v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == i && ro.Status.Phase == phase
	}
}

// waitScales waits until the revision Deployments have these replicas, all ready.
func (w *world) waitScales(rollout string, want map[string]int32) {
	w.t.Helper()
	framework.Eventually(w.t, 60*time.Second, fmt.Sprintf("revision scales %v", want), func() (bool, error) {
		for rev, n := range want {
			d := w.deployment(rollout, rev)
			if d == nil {
				return n == 0, fmt.Errorf("no Deployment for %s", rev)
			}
			if *d.Spec.Replicas != n || d.Status.ReadyReplicas != n {
				return false, fmt.Errorf("%s: spec %d ready %d, want %d", rev, *d.Spec.Replicas, d.Status.ReadyReplicas, n)
			}
		}
		return true, nil
	})
}

// watchServices checks, until the test ends, that each Service always selects at least
// one Ready pod. It starts once every Service has a ready endpoint.
func (w *world) watchServices(services ...string) {
	t := w.t
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
			for _, name := range services {
				n, sel, err := w.readyPodsSelected(ctx, name)
				if err != nil {
					continue
				}
				if n == 0 {
					mu.Lock()
					violations = append(violations, fmt.Sprintf("%s Service %s (selector %s) selected no Ready pod", time.Now().Format("15:04:05.000"), name, sel))
					mu.Unlock()
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(violations) > 0 {
			t.Errorf("the Service invariant was broken %d times, first: %s", len(violations), violations[0])
		}
	})
}

func (w *world) readyPodsSelected(ctx context.Context, svc string) (int, string, error) {
	s := &corev1.Service{}
	if err := w.c.Get(ctx, types.NamespacedName{Namespace: w.ns, Name: svc}, s); err != nil {
		return 0, "", err
	}
	var pods corev1.PodList
	sel := labels.SelectorFromSet(s.Spec.Selector)
	if err := w.c.List(ctx, &pods, client.InNamespace(w.ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return 0, "", err
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n, sel.String(), nil
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
