package plan

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sim is a tiny world for whole-rollout simulations: revision Deployments whose pods become
// ready on the next tick (unless a revision is marked broken), Services, AnalysisRuns whose
// phases the scenario decides, and a clock.
type sim struct {
	t        *testing.T
	ro       *v1alpha1.Rollout
	now      time.Time
	start    time.Time
	revs     map[string]*Revision
	runs     map[string]Run
	services map[string]string
	// names maps a revision hash to the image that made it, for readable traces.
	names map[string]string
	// broken revisions never get ready pods.
	broken map[string]bool
	// runPhase decides the phase of a run when it is created (default Running).
	runPhase map[v1alpha1.AnalysisKind]v1alpha1.AnalysisPhase
	trace    strings.Builder
	tokens   int
}

func newSim(t *testing.T, ro *v1alpha1.Rollout) *sim {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	return &sim{
		t: t, ro: ro, now: start, start: start,
		revs: map[string]*Revision{}, runs: map[string]Run{}, services: map[string]string{},
		names: map[string]string{}, broken: map[string]bool{},
		runPhase: map[v1alpha1.AnalysisKind]v1alpha1.AnalysisPhase{},
	}
}

// setImage changes the template (a new revision).
func (s *sim) setImage(image string) {
	s.ro.Spec.Template.Spec.Containers[0].Image = image
	s.ro.Generation++
	s.names[RevisionHash(&s.ro.Spec.Template)] = image
	s.logf("# spec.template image=%s", image)
}

func (s *sim) request(key string) {
	s.tokens++
	if s.ro.Annotations == nil {
		s.ro.Annotations = map[string]string{}
	}
	s.ro.Annotations[key] = fmt.Sprintf("token-%d", s.tokens)
	s.ro.Annotations[v1alpha1.AnnotationRequestedBy] = "alice"
	s.logf("# request %s", key)
}

func (s *sim) setRun(kind v1alpha1.AnalysisKind, phase v1alpha1.AnalysisPhase, msg string) {
	for name, r := range s.runs {
		if r.Kind == kind && !r.Phase.Completed() {
			r.Phase, r.Message = phase, msg
			s.runs[name] = r
			s.logf("# run %s -> %s", name, phase)
		}
	}
}

func (s *sim) logf(format string, args ...any) {
	fmt.Fprintf(&s.trace, "t=%-5s "+format+"\n", append([]any{s.now.Sub(s.start).String()}, args...)...)
}

func (s *sim) name(hash string) string {
	if n, ok := s.names[hash]; ok {
		return n
	}
	return hash
}

// pass runs one plan pass and applies it, then the pods of every revision catch up.
func (s *sim) pass() Output {
	var revs []Revision
	for _, r := range s.revs {
		revs = append(revs, *r)
	}
	out := Plan(Input{Rollout: s.ro, Revisions: revs, Runs: s.runs, Now: s.now})
	for _, a := range out.Revisions {
		switch {
		case a.Create:
			s.revs[a.Hash] = &Revision{Hash: a.Hash, Number: a.Number, Replicas: a.Replicas}
		case a.Delete:
			delete(s.revs, a.Hash)
		default:
			r := s.revs[a.Hash]
			r.Replicas = a.Replicas
			r.ScaleDownAt = a.ScaleDownAt
		}
	}
	for svc, rev := range out.Selectors {
		s.services[svc] = rev
	}
	for _, rp := range out.Runs {
		switch rp.Action {
		case RunEnsure:
			ph := s.runPhase[rp.Kind]
			if ph == "" {
				ph = v1alpha1.AnalysisPhaseRunning
			}
			s.runs[rp.Name] = Run{Name: rp.Name, Kind: rp.Kind, Phase: ph, Revision: rp.Revision, Created: s.now}
		case RunTerminate:
			r := s.runs[rp.Name]
			r.Terminating = true
			if !r.Phase.Completed() {
				r.Phase = v1alpha1.AnalysisPhaseSuccessful
			}
			s.runs[rp.Name] = r
		case RunDelete:
			delete(s.runs, rp.Name)
		}
	}
	st := out.Status
	st.ObservedGeneration = s.ro.Generation
	s.ro.Status = st
	s.record(out)
	s.checkInvariants()
	// Pods catch up: scale-ups become ready, scale-downs go away.
	for h, r := range s.revs {
		if s.broken[h] {
			r.Ready, r.Available = 0, 0
			continue
		}
		r.Ready, r.Available = r.Replicas, r.Replicas
	}
	return out
}

func (s *sim) record(out Output) {
	st := s.ro.Status
	var revs []string
	var hashes []string
	for h := range s.revs {
		hashes = append(hashes, h)
	}
	sort.Slice(hashes, func(i, j int) bool { return s.revs[hashes[i]].Number < s.revs[hashes[j]].Number })
	for _, h := range hashes {
		r := s.revs[h]
		extra := ""
		if r.ScaleDownAt != nil {
			extra = fmt.Sprintf(" (down at +%s)", r.ScaleDownAt.Sub(s.start))
		}
		revs = append(revs, fmt.Sprintf("%s=%d/%d%s", s.name(h), r.Available, r.Replicas, extra))
	}
	var svcs []string
	for svc, rev := range s.services {
		svcs = append(svcs, svc+"->"+s.name(rev))
	}
	sort.Strings(svcs)
	w := "-"
	if st.Weights != nil {
		w = fmt.Sprintf("%d/%d", st.Weights.Canary, st.Weights.Stable)
	}
	s.logf("%-11s step=%-4s weight=%-6s %s | %s | %s", st.Phase, st.Step, w, strings.Join(revs, " "), strings.Join(svcs, " "), st.Message)
	for _, e := range out.Events {
		kind := "Normal"
		if e.Warning {
			kind = "Warning"
		}
		s.logf("  event %s %s: %s", kind, e.Reason, e.Message)
	}
	for _, r := range out.Runs {
		s.logf("  run %s %s", r.Action, r.Name)
	}
	if out.RequeueAfter > 0 {
		s.logf("  requeue after %s", out.RequeueAfter)
	}
}

// checkInvariants: a Service never selects a revision without ready pods while another
// revision has some, and available pods never fall below replicas during an update once
// the first revision was up.
func (s *sim) checkInvariants() {
	s.t.Helper()
	anyReady := false
	for _, r := range s.revs {
		if r.Ready > 0 {
			anyReady = true
		}
	}
	for svc, rev := range s.services {
		if anyReady && (s.revs[rev] == nil || s.revs[rev].Ready == 0) {
			s.t.Errorf("at %s Service %s selects %s with no ready pods", s.now.Sub(s.start), svc, s.name(rev))
		}
	}
}

// settle runs passes until nothing changes and no time-based requeue is pending, moving the
// clock by each requeue; it stops after max passes.
func (s *sim) settle(maxPasses int) {
	s.t.Helper()
	for i := 0; i < maxPasses; i++ {
		before := s.snapshot()
		out := s.pass()
		if s.snapshot() != before {
			s.now = s.now.Add(time.Second)
			continue
		}
		if out.RequeueAfter == 0 {
			return
		}
		s.now = s.now.Add(out.RequeueAfter)
	}
}

// until runs passes (moving the clock by requeues) until cond holds.
func (s *sim) until(maxPasses int, cond func() bool) {
	s.t.Helper()
	for i := 0; i < maxPasses; i++ {
		if cond() {
			return
		}
		before := s.snapshot()
		out := s.pass()
		if s.snapshot() != before {
			s.now = s.now.Add(time.Second)
			continue
		}
		if out.RequeueAfter > 0 {
			s.now = s.now.Add(out.RequeueAfter)
		} else if !cond() {
			s.t.Fatalf("stuck before the condition held:\n%s", s.trace.String())
		}
	}
	if !cond() {
		s.t.Fatalf("condition not reached in %d passes:\n%s", maxPasses, s.trace.String())
	}
}

func (s *sim) snapshot() string {
	var b strings.Builder
	var hs []string
	for h := range s.revs {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	for _, h := range hs {
		r := s.revs[h]
		fmt.Fprintf(&b, "%s:%d:%d:%v;", h, r.Replicas, r.Available, r.ScaleDownAt != nil)
	}
	fmt.Fprintf(&b, "%v|%s|%s|%v|%d|%v", s.ro.Status.CurrentStepIndex != nil && *s.ro.Status.CurrentStepIndex >= 0, s.ro.Status.Phase, s.ro.Status.Message, s.services, len(s.runs), s.ro.Status.HandledRequests)
	if s.ro.Status.CurrentStepIndex != nil {
		fmt.Fprintf(&b, "|%d", *s.ro.Status.CurrentStepIndex)
	}
	for n, r := range s.runs {
		fmt.Fprintf(&b, "|%s:%s", n, r.Phase)
	}
	return b.String()
}

func (s *sim) golden(name string) {
	s.t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := s.trace.String()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			s.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		s.t.Errorf("trace differs from %s (-want +got):\n%s", path, diff)
	}
}

// testRollout builds a canary Rollout.
func testRollout(replicas int32, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 1},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService: "web-stable", CanaryService: "web-canary", Steps: steps,
			}},
		},
	}
}

func weightStep(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }

func pauseStep(d string) v1alpha1.CanaryStep {
	if d == "" {
		return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{}}
	}
	dur := v1alpha1.Duration(d)
	return v1alpha1.CanaryStep{Pause: &v1alpha1.PauseStep{Duration: &dur}}
}

func analysisStep(name string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: name}}}}
}

func fourSteps() []v1alpha1.CanaryStep {
	return []v1alpha1.CanaryStep{weightStep(25), pauseStep("30s"), weightStep(50), pauseStep("")}
}

func newDeployed(t *testing.T, replicas int32, steps ...v1alpha1.CanaryStep) *sim {
	s := newSim(t, testRollout(replicas, steps...))
	s.names[RevisionHash(&s.ro.Spec.Template)] = "web:v1"
	s.logf("# apply rollout web image=web:v1 replicas=%d", replicas)
	s.settle(20)
	return s
}

func TestSimCanaryPromote(t *testing.T) {
	s := newDeployed(t, 4, fourSteps()...)
	s.setImage("web:v2")
	s.until(50, func() bool {
		return s.ro.Status.PauseReason == v1alpha1.PauseReasonStep && s.ro.Status.Message != "" && strings.Contains(s.ro.Status.Message, "until promoted")
	})
	s.settle(5)
	s.request(v1alpha1.AnnotationPromote)
	s.until(50, func() bool {
		return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && s.ro.Status.StableRevision == RevisionHash(&s.ro.Spec.Template)
	})
	s.settle(20)
	s.golden("canary-promote")
	if got := s.revs[RevisionHash(&s.ro.Spec.Template)].Replicas; got != 4 {
		t.Errorf("v2 replicas = %d, want 4", got)
	}
}

func TestSimCanaryAbortRetry(t *testing.T) {
	s := newDeployed(t, 4, fourSteps()...)
	s.setImage("web:v2")
	s.until(50, func() bool { return ptrOr(s.ro.Status.CurrentStepIndex, 0) == 1 })
	s.request(v1alpha1.AnnotationAbort)
	s.pass()
	if s.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded || s.ro.Status.Abort == nil {
		t.Fatalf("after abort: phase %s abort %v", s.ro.Status.Phase, s.ro.Status.Abort)
	}
	for svc, rev := range s.services {
		if s.name(rev) != "web:v1" {
			t.Errorf("after abort Service %s selects %s", svc, s.name(rev))
		}
	}
	s.settle(20)
	s.request(v1alpha1.AnnotationRetry)
	s.until(50, func() bool {
		return s.ro.Status.PauseReason == v1alpha1.PauseReasonStep && strings.Contains(s.ro.Status.Message, "until promoted")
	})
	s.request(v1alpha1.AnnotationPromote)
	s.until(50, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	s.settle(20)
	s.golden("canary-abort-retry")
}

func TestSimCanarySupersede(t *testing.T) {
	s := newDeployed(t, 4, fourSteps()...)
	s.setImage("web:v2")
	s.until(50, func() bool { return ptrOr(s.ro.Status.CurrentStepIndex, 0) == 1 })
	s.setImage("web:v3")
	s.until(50, func() bool { return ptrOr(s.ro.Status.CurrentStepIndex, 0) == 3 })
	s.request(v1alpha1.AnnotationPromote)
	s.until(50, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	s.settle(20)
	s.golden("canary-supersede")
	for h, r := range s.revs {
		if s.name(h) == "web:v2" && r.Replicas != 0 {
			t.Errorf("superseded v2 still has %d replicas", r.Replicas)
		}
	}
}

func TestSimCanaryRevert(t *testing.T) {
	s := newDeployed(t, 4, fourSteps()...)
	s.setImage("web:v2")
	s.until(50, func() bool { return ptrOr(s.ro.Status.CurrentStepIndex, 0) == 1 })
	s.setImage("web:v1")
	s.pass()
	if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy && s.ro.Status.Phase != v1alpha1.RolloutPhaseProgressing {
		t.Fatalf("revert: phase %s", s.ro.Status.Phase)
	}
	if s.ro.Status.CurrentStepIndex != nil {
		t.Errorf("revert went through steps: step %d", *s.ro.Status.CurrentStepIndex)
	}
	s.settle(20)
	s.golden("canary-revert")
}

func TestSimCanaryAnalysisFails(t *testing.T) {
	s := newDeployed(t, 4, weightStep(25), analysisStep("success-rate"), weightStep(50))
	s.setImage("web:v2")
	s.until(50, func() bool { return len(s.runs) == 1 })
	s.setRun(v1alpha1.AnalysisKindStep, v1alpha1.AnalysisPhaseFailed, "success-rate 0.91 below 0.99")
	s.settle(20)
	s.golden("canary-analysis-fails")
	if s.ro.Status.Abort == nil || s.ro.Status.Abort.Reason != v1alpha1.ReasonAnalysisFailed {
		t.Fatalf("abort = %+v", s.ro.Status.Abort)
	}
	if !strings.Contains(s.ro.Status.Message, "0.91 below 0.99") {
		t.Errorf("message %q does not name the value", s.ro.Status.Message)
	}
}

func TestSimCanaryProgressDeadline(t *testing.T) {
	s := newDeployed(t, 2, weightStep(50), pauseStep(""))
	dl := int32(60)
	s.ro.Spec.ProgressDeadlineSeconds = &dl
	s.setImage("web:v2")
	s.broken[RevisionHash(&s.ro.Spec.Template)] = true
	s.until(50, func() bool { return s.ro.Status.Abort != nil })
	s.settle(20)
	s.golden("canary-progress-deadline")
	if s.ro.Status.Abort.Reason != v1alpha1.ReasonProgressDeadlineExceeded {
		t.Errorf("reason %s", s.ro.Status.Abort.Reason)
	}
}

func TestSimCanaryPromoteFull(t *testing.T) {
	s := newDeployed(t, 3, weightStep(10), pauseStep(""), weightStep(50), pauseStep(""))
	s.setImage("web:v2")
	s.until(50, func() bool { return strings.Contains(s.ro.Status.Message, "until promoted") })
	s.request(v1alpha1.AnnotationPromoteFull)
	s.until(50, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	s.settle(20)
	s.golden("canary-promote-full")
}

// TestCanaryScales: replica counts for weights across rollout sizes.
func TestCanaryScales(t *testing.T) {
	cases := []struct {
		replicas, weight int32
		maxUnavailable   *intstr.IntOrString
		canaryAvail      int32
		wantCanary       int32
		wantStable       int32
	}{
		{replicas: 1, weight: 1, canaryAvail: 0, wantCanary: 1, wantStable: 1},
		{replicas: 1, weight: 1, canaryAvail: 1, wantCanary: 1, wantStable: 1},
		{replicas: 1, weight: 0, canaryAvail: 0, wantCanary: 0, wantStable: 1},
		{replicas: 2, weight: 50, canaryAvail: 1, wantCanary: 1, wantStable: 1},
		{replicas: 2, weight: 50, canaryAvail: 0, wantCanary: 1, wantStable: 2},
		{replicas: 2, weight: 99, canaryAvail: 2, wantCanary: 2, wantStable: 1},
		{replicas: 3, weight: 33, canaryAvail: 1, wantCanary: 1, wantStable: 2},
		{replicas: 3, weight: 50, canaryAvail: 2, wantCanary: 2, wantStable: 1},
		{replicas: 3, weight: 100, canaryAvail: 3, wantCanary: 3, wantStable: 1},
		{replicas: 10, weight: 1, canaryAvail: 1, wantCanary: 1, wantStable: 9},
		{replicas: 10, weight: 33, canaryAvail: 4, wantCanary: 4, wantStable: 6},
		{replicas: 10, weight: 33, canaryAvail: 2, wantCanary: 4, wantStable: 8},
		{replicas: 10, weight: 50, canaryAvail: 5, wantCanary: 5, wantStable: 5},
		{replicas: 10, weight: 99, canaryAvail: 10, wantCanary: 10, wantStable: 1},
		{replicas: 10, weight: 100, canaryAvail: 10, wantCanary: 10, wantStable: 1},
		{replicas: 10, weight: 0, canaryAvail: 0, wantCanary: 0, wantStable: 10},
		// maxUnavailable lets the stable shrink before the canary is ready.
		{replicas: 10, weight: 50, maxUnavailable: ptr(intstr.FromInt32(2)), canaryAvail: 0, wantCanary: 5, wantStable: 8},
		{replicas: 10, weight: 50, maxUnavailable: ptr(intstr.FromString("50%")), canaryAvail: 0, wantCanary: 5, wantStable: 5},
		{replicas: 4, weight: 25, maxUnavailable: ptr(intstr.FromInt32(1)), canaryAvail: 0, wantCanary: 1, wantStable: 3},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("replicas=%d/weight=%d/avail=%d/mu=%v", tc.replicas, tc.weight, tc.canaryAvail, tc.maxUnavailable)
		t.Run(name, func(t *testing.T) {
			ro := testRollout(tc.replicas, weightStep(tc.weight))
			ro.Spec.Strategy.Canary.MaxUnavailable = tc.maxUnavailable
			p := newPlanner(Input{Rollout: ro, Now: time.Now(), Revisions: []Revision{
				{Hash: "stable", Number: 1, Replicas: tc.replicas, Ready: tc.replicas, Available: tc.replicas},
			}})
			p.stable = "stable"
			p.revs[p.updated].Available = tc.canaryAvail
			p.revs[p.updated].Replicas = tc.canaryAvail
			c, s, _ := p.canaryScales(ro.Spec.Strategy.Canary, 0)
			if c != tc.wantCanary || s != tc.wantStable {
				t.Errorf("canary %d stable %d, want canary %d stable %d", c, s, tc.wantCanary, tc.wantStable)
			}
			// The availability floor holds: stable's available pods (if scaled to s) plus the
			// canary's available pods are at least replicas - maxUnavailable.
			mu := scaledValue(tc.maxUnavailable, tc.replicas, false, 0)
			if min(s, tc.replicas)+min(tc.canaryAvail, c) < tc.replicas-mu {
				t.Errorf("availability floor broken: stable %d + canary avail %d < %d", s, tc.canaryAvail, tc.replicas-mu)
			}
		})
	}
}

func TestCanaryWeightAt(t *testing.T) {
	steps := []v1alpha1.CanaryStep{weightStep(10), pauseStep(""), weightStep(40), analysisStep("x")}
	for i, want := range []int32{10, 10, 40, 40, 100} {
		if got := CanaryWeightAt(steps, int32(i)); got != want {
			t.Errorf("step %d weight %d, want %d", i, got, want)
		}
	}
}

func TestRevisionHash(t *testing.T) {
	a := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "fe"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1", Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}}},
	}
	// Same content built in another order.
	b := corev1.PodTemplateSpec{}
	b.Spec.Containers = []corev1.Container{{Image: "web:v1", Name: "web", Env: []corev1.EnvVar{{Value: "1", Name: "A"}}}}
	b.Labels = map[string]string{"tier": "fe"}
	b.Labels["app"] = "web"
	if RevisionHash(&a) != RevisionHash(&b) {
		t.Errorf("hash depends on field order: %s != %s", RevisionHash(&a), RevisionHash(&b))
	}
	// Stride's own labels do not change it.
	c := a.DeepCopy()
	c.Labels[v1alpha1.LabelRevision] = "x"
	c.Labels[v1alpha1.LabelRollout] = "web"
	if RevisionHash(&a) != RevisionHash(c) {
		t.Errorf("stride labels changed the hash")
	}
	// Any change changes it.
	d := a.DeepCopy()
	d.Spec.Containers[0].Image = "web:v2"
	e := a.DeepCopy()
	e.Annotations = map[string]string{v1alpha1.AnnotationRestartedAt: "now"}
	for _, x := range []*corev1.PodTemplateSpec{d, e} {
		if RevisionHash(&a) == RevisionHash(x) {
			t.Errorf("changed template has the same hash")
		}
	}
	if got := len(RevisionHash(&a)); got != 10 {
		t.Errorf("hash length %d", got)
	}
	if RevisionHash(&a) != RevisionHash(a.DeepCopy()) {
		t.Errorf("hash not stable")
	}
}

// TestSteadyStateNoChange: a healthy Rollout plans no action and an unchanged status.
func TestSteadyStateNoChange(t *testing.T) {
	s := newDeployed(t, 3, fourSteps()...)
	before := *s.ro.Status.DeepCopy()
	revs := []Revision{}
	for _, r := range s.revs {
		revs = append(revs, *r)
	}
	out := Plan(Input{Rollout: s.ro, Revisions: revs, Runs: s.runs, Now: s.now.Add(time.Hour)})
	if len(out.Revisions) != 0 || len(out.Runs) != 0 || len(out.Events) != 0 || out.RequeueAfter != 0 {
		t.Errorf("steady state plans work: %+v", out)
	}
	after := out.Status
	after.ObservedGeneration = before.ObservedGeneration
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("steady state changes status:\n%s", diff)
	}
}
