package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// applied is what a pass left in place before the pods caught up: each revision's desired
// replicas as planned and its available pods as they were when the pass planned (a
// scale-down removes available pods at once, a scale-up adds none yet).
type applied map[string]Revision

// driver runs the simulation with a check after every pass.
type driver struct {
	s *sim
	// pass is the simulation pass (sim.pass, or a variant).
	pass func() Output
	// check runs after every pass with the state the pass left in place and its output.
	check func(a applied, out Output)
}

func (d *driver) step() Output {
	before := map[string]Revision{}
	for h, r := range d.s.revs {
		before[h] = *r
	}
	out := d.pass()
	a := applied{}
	for h, r := range d.s.revs {
		rev := *r
		rev.Available = min(before[h].Available, r.Replicas)
		rev.Ready = min(before[h].Ready, r.Replicas)
		a[h] = rev
	}
	if d.check != nil {
		d.check(a, out)
	}
	return out
}

// until runs passes, moving the clock like sim.until, until cond holds.
func (d *driver) until(maxPasses int, cond func() bool) {
	s := d.s
	s.t.Helper()
	for i := 0; i < maxPasses; i++ {
		if cond() {
			return
		}
		before := s.snapshot()
		out := d.step()
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

// settle runs passes like sim.settle.
func (d *driver) settle(maxPasses int) {
	s := d.s
	s.t.Helper()
	for i := 0; i < maxPasses; i++ {
		before := s.snapshot()
		out := d.step()
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

func bgRollout(replicas int32, b v1alpha1.BlueGreenStrategy) *v1alpha1.Rollout {
	ro := testRollout(replicas)
	if b.ActiveService == "" {
		b.ActiveService = "web"
	}
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &b}
	return ro
}

func analysis(name string) *v1alpha1.RolloutAnalysis {
	return &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: name}}}
}

// bgDriver deploys web:v1 with a blue-green strategy; every pass checks that the active
// Service selects a revision that has a Deployment.
func bgDriver(t *testing.T, replicas int32, b v1alpha1.BlueGreenStrategy) *driver {
	t.Helper()
	s := newSim(t, bgRollout(replicas, b))
	s.names[RevisionHash(&s.ro.Spec.Template)] = "web:v1"
	s.logf("# apply rollout web image=web:v1 replicas=%d (blue-green)", replicas)
	d := &driver{s: s, pass: s.pass}
	active := s.ro.Spec.Strategy.BlueGreen.ActiveService
	d.check = func(a applied, out Output) {
		t.Helper()
		if _, ok := a[s.services[active]]; !ok {
			t.Errorf("at %s active Service selects %s, which has no Deployment", s.now.Sub(s.start), s.name(s.services[active]))
		}
	}
	d.settle(20)
	return d
}

func hashOf(s *sim) string { return RevisionHash(&s.ro.Spec.Template) }

// switchWatch records every move of the active Service. At every pass it checks that the
// Service moves only back to the stable revision or to a revision that is fully available.
type switchWatch struct {
	moves []string
}

func watchSwitches(d *driver, service string, replicas int32) *switchWatch {
	w := &switchWatch{}
	s := d.s
	last, stable := s.services[service], s.ro.Status.StableRevision
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		cur := s.services[service]
		if cur != last {
			w.moves = append(w.moves, s.name(cur))
			if r := a[cur]; r.Available < replicas && cur != stable {
				s.t.Errorf("at %s active moved to %s with %d/%d available", s.now.Sub(s.start), s.name(cur), r.Available, replicas)
			}
			last = cur
		}
		stable = s.ro.Status.StableRevision
	}
	return w
}

func TestSimBlueGreenManualPromotion(t *testing.T) {
	d := bgDriver(t, 3, v1alpha1.BlueGreenStrategy{
		PreviewService:       "web-preview",
		AutoPromotionEnabled: ptr(false),
		PreviewReplicaCount:  ptr(int32(1)),
	})
	s := d.s
	w := watchSwitches(d, "web", 3)
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen })
	d.settle(5)
	if got := s.revs[v2].Replicas; got != 1 {
		t.Errorf("preview scale %d, want previewReplicaCount 1", got)
	}
	if s.services["web"] != v1 || s.services["web-preview"] != v2 {
		t.Errorf("while waiting: active %s preview %s", s.name(s.services["web"]), s.name(s.services["web-preview"]))
	}
	if s.ro.Status.Phase != v1alpha1.RolloutPhasePaused || !strings.Contains(s.ro.Status.Message, "kubectl stride promote web") {
		t.Errorf("while waiting: %s %q", s.ro.Status.Phase, s.ro.Status.Message)
	}
	if s.ro.Status.StepStartedAt == nil {
		t.Errorf("no preview-ready time recorded")
	}
	s.request(v1alpha1.AnnotationPromote)
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 || s.ro.Status.ActiveRevision != v2 || s.ro.Status.PromotedAt == nil {
		t.Errorf("after promotion: stable %s active %s promotedAt %v", s.ro.Status.StableRevision, s.ro.Status.ActiveRevision, s.ro.Status.PromotedAt)
	}
	if s.revs[v1].Replicas != 3 || s.revs[v1].ScaleDownAt == nil {
		t.Errorf("old revision not kept for the scale-down delay: %+v", *s.revs[v1])
	}
	d.settle(20)
	if s.revs[v1].Replicas != 0 {
		t.Errorf("old revision still has %d replicas", s.revs[v1].Replicas)
	}
	if diff := cmp.Diff([]string{"web:v2"}, w.moves); diff != "" {
		t.Errorf("active Service moves (-want +got):\n%s", diff)
	}
	s.golden("bluegreen-manual")
}

func TestSimBlueGreenAutoPromotionSeconds(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", AutoPromotionSeconds: ptr(int32(20))})
	s := d.s
	w := watchSwitches(d, "web", 2)
	s.setImage("web:v2")
	v2 := hashOf(s)
	var readyAt, switchedAt time.Time
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		if readyAt.IsZero() && s.ro.Status.StepStartedAt != nil {
			readyAt = s.ro.Status.StepStartedAt.Time
		}
		if switchedAt.IsZero() && s.services["web"] == v2 {
			switchedAt = s.now
		}
	}
	d.until(30, func() bool {
		return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && s.ro.Status.StableRevision == v2
	})
	d.settle(20)
	if readyAt.IsZero() || switchedAt.IsZero() {
		t.Fatalf("ready at %v, switched at %v", readyAt, switchedAt)
	}
	if got := switchedAt.Sub(readyAt); got < 20*time.Second {
		t.Errorf("switched %s after the preview was ready, want at least 20s", got)
	}
	if diff := cmp.Diff([]string{"web:v2"}, w.moves); diff != "" {
		t.Errorf("active Service moves (-want +got):\n%s", diff)
	}
	s.golden("bluegreen-auto")
}

func TestSimBlueGreenPrePromotionFails(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PrePromotionAnalysis: analysis("smoke")})
	s := d.s
	w := watchSwitches(d, "web", 2)
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return len(s.runs) == 1 })
	d.settle(3)
	if s.services["web"] != v1 {
		t.Errorf("active switched before the pre-promotion analysis ended")
	}
	s.setRun(v1alpha1.AnalysisKindPrePromotion, v1alpha1.AnalysisPhaseFailed, "error rate 0.2 above 0.01")
	d.settle(20)
	st := s.ro.Status
	if st.Abort == nil || st.Abort.Reason != v1alpha1.ReasonAnalysisFailed || st.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Fatalf("abort %+v phase %s", st.Abort, st.Phase)
	}
	if len(w.moves) != 0 {
		t.Errorf("active Service moved: %v", w.moves)
	}
	if s.revs[v2].Replicas != 0 || s.services["web-preview"] != v1 {
		t.Errorf("aborted preview: %d replicas, preview Service on %s", s.revs[v2].Replicas, s.name(s.services["web-preview"]))
	}
	s.golden("bluegreen-pre-analysis-fails")
}

func TestSimBlueGreenPostPromotionFails(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PostPromotionAnalysis: analysis("errors")})
	s := d.s
	w := watchSwitches(d, "web", 2)
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		// The previous revision keeps every pod until the update ends.
		if s.ro.Status.StableRevision == v1 && a[v1].Replicas != 2 {
			s.t.Errorf("at %s previous revision scaled to %d during the update", s.now.Sub(s.start), a[v1].Replicas)
		}
	}
	d.until(20, func() bool { return len(s.runs) == 1 })
	d.settle(3)
	if s.services["web"] != v2 || s.ro.Status.StableRevision != v1 || s.ro.Status.Weights.Canary != 100 {
		t.Fatalf("after the switch: active %s stable %s weights %+v", s.name(s.services["web"]), s.name(s.ro.Status.StableRevision), s.ro.Status.Weights)
	}
	if !strings.Contains(s.ro.Status.Message, "post-promotion analysis") {
		t.Errorf("message %q", s.ro.Status.Message)
	}
	s.setRun(v1alpha1.AnalysisKindPostPromotion, v1alpha1.AnalysisPhaseFailed, "error rate 0.2 above 0.01")
	d.step()
	if s.services["web"] != v1 || s.ro.Status.ActiveRevision != v1 || s.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Errorf("one pass after the failure: active %s, status active %s, phase %s", s.name(s.services["web"]), s.name(s.ro.Status.ActiveRevision), s.ro.Status.Phase)
	}
	d.settle(20)
	if diff := cmp.Diff([]string{"web:v2", "web:v1"}, w.moves); diff != "" {
		t.Errorf("active Service moves (-want +got):\n%s", diff)
	}
	if s.revs[v2].Replicas != 0 {
		t.Errorf("aborted revision keeps %d replicas", s.revs[v2].Replicas)
	}
	s.golden("bluegreen-post-analysis-fails")
}

func TestSimBlueGreenSupersede(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", AutoPromotionEnabled: ptr(false)})
	s := d.s
	w := watchSwitches(d, "web", 2)
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen })
	s.setImage("web:v3")
	v3 := hashOf(s)
	d.step()
	if s.revs[v2].Replicas != 0 {
		t.Errorf("superseded preview keeps %d replicas", s.revs[v2].Replicas)
	}
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen })
	if s.services["web-preview"] != v3 {
		t.Errorf("preview Service on %s", s.name(s.services["web-preview"]))
	}
	s.request(v1alpha1.AnnotationPromote)
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(20)
	if diff := cmp.Diff([]string{"web:v3"}, w.moves); diff != "" {
		t.Errorf("active Service moves (-want +got):\n%s", diff)
	}
	s.golden("bluegreen-supersede")
}

// TestSimBlueGreenSupersedeAfterSwitch: a newer template while the post-promotion analysis
// runs moves the active Service back to the stable revision at once.
func TestSimBlueGreenSupersedeAfterSwitch(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PostPromotionAnalysis: analysis("errors")})
	s := d.s
	v1 := s.ro.Status.StableRevision
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return s.services["web"] == v2 })
	s.setImage("web:v3")
	d.step()
	if s.services["web"] != v1 || s.revs[v2].Replicas != 0 {
		t.Errorf("after the newer template: active %s, superseded revision %d replicas", s.name(s.services["web"]), s.revs[v2].Replicas)
	}
	d.until(20, func() bool { return s.services["web"] == hashOf(s) })
	s.setRun(v1alpha1.AnalysisKindPostPromotion, v1alpha1.AnalysisPhaseSuccessful, "")
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != hashOf(s) {
		t.Errorf("stable %s", s.name(s.ro.Status.StableRevision))
	}
}

func TestSimBlueGreenRevert(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PostPromotionAnalysis: analysis("errors")})
	s := d.s
	v1 := s.ro.Status.StableRevision
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return s.services["web"] == v2 })
	s.setImage("web:v1")
	d.step()
	if s.services["web"] != v1 || s.services["web-preview"] != v1 {
		t.Errorf("revert did not switch back at once: active %s preview %s", s.name(s.services["web"]), s.name(s.services["web-preview"]))
	}
	if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Errorf("revert: phase %s (%s)", s.ro.Status.Phase, s.ro.Status.Message)
	}
	if s.revs[v2].Replicas != 0 {
		t.Errorf("reverted revision keeps %d replicas", s.revs[v2].Replicas)
	}
	d.settle(20)
	s.golden("bluegreen-revert")
}

// TestSimBlueGreenInconclusiveAccepted: a promote accepts an inconclusive pre-promotion
// result; the acceptance holds while the preview scales to full over later passes.
func TestSimBlueGreenInconclusiveAccepted(t *testing.T) {
	d := bgDriver(t, 3, v1alpha1.BlueGreenStrategy{
		PreviewService: "web-preview", PreviewReplicaCount: ptr(int32(1)), PrePromotionAnalysis: analysis("smoke"),
	})
	s := d.s
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return len(s.runs) == 1 })
	s.setRun(v1alpha1.AnalysisKindPrePromotion, v1alpha1.AnalysisPhaseInconclusive, "no data")
	d.settle(5)
	if s.ro.Status.PauseReason != v1alpha1.PauseReasonInconclusive || s.ro.Status.Phase != v1alpha1.RolloutPhasePaused {
		t.Fatalf("inconclusive: pause %q phase %s", s.ro.Status.PauseReason, s.ro.Status.Phase)
	}
	s.request(v1alpha1.AnnotationPromote)
	d.step()
	if s.revs[v2].Replicas != 3 || s.services["web"] == v2 {
		t.Fatalf("after promote: preview at %d, active %s", s.revs[v2].Replicas, s.name(s.services["web"]))
	}
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 {
		t.Errorf("stable %s", s.name(s.ro.Status.StableRevision))
	}
	s.golden("bluegreen-inconclusive-accepted")
}

// TestSimBlueGreenPromoteFullEarly: promote --full before the preview is ready skips both
// analyses and switches as soon as the preview is fully available.
func TestSimBlueGreenPromoteFullEarly(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{
		AutoPromotionEnabled: ptr(false), PrePromotionAnalysis: analysis("smoke"), PostPromotionAnalysis: analysis("errors"),
	})
	s := d.s
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.step()
	s.request(v1alpha1.AnnotationPromoteFull)
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 {
		t.Errorf("stable %s", s.name(s.ro.Status.StableRevision))
	}
	if len(s.runs) != 0 {
		t.Errorf("analyses ran: %v", s.runs)
	}
}

// TestSimBlueGreenAbortRetry: abort puts the active Service back; retry starts again with
// new run names.
func TestSimBlueGreenAbortRetry(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PostPromotionAnalysis: analysis("errors")})
	s := d.s
	v1 := s.ro.Status.StableRevision
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return s.services["web"] == v2 })
	s.request(v1alpha1.AnnotationAbort)
	d.step()
	st := s.ro.Status
	if s.services["web"] != v1 || st.Abort == nil || st.Abort.Reason != v1alpha1.ReasonAborted || st.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Fatalf("after abort: active %s abort %+v phase %s", s.name(s.services["web"]), st.Abort, st.Phase)
	}
	if !strings.Contains(st.Message, "aborted by alice") {
		t.Errorf("message %q", st.Message)
	}
	d.settle(20)
	s.request(v1alpha1.AnnotationRetry)
	d.until(20, func() bool { return s.services["web"] == v2 })
	if _, ok := s.runs["web-"+v2+"-post-a1"]; !ok || s.ro.Status.Attempt != 1 {
		t.Errorf("retry: attempt %d runs %v", s.ro.Status.Attempt, s.runs)
	}
	s.setRun(v1alpha1.AnalysisKindPostPromotion, v1alpha1.AnalysisPhaseSuccessful, "")
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 {
		t.Errorf("stable %s", s.name(s.ro.Status.StableRevision))
	}
}

// TestSimBlueGreenProgressDeadline: a preview that never gets ready pods is aborted.
func TestSimBlueGreenProgressDeadline(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview"})
	s := d.s
	s.ro.Spec.ProgressDeadlineSeconds = ptr(int32(60))
	s.setImage("web:v2")
	s.broken[hashOf(s)] = true
	d.until(20, func() bool { return s.ro.Status.Abort != nil })
	if s.ro.Status.Abort.Reason != v1alpha1.ReasonProgressDeadlineExceeded {
		t.Errorf("reason %s", s.ro.Status.Abort.Reason)
	}
	if s.services["web-preview"] != s.ro.Status.StableRevision {
		t.Errorf("preview Service on a revision without ready pods")
	}
}

// TestSimBlueGreenFirstDeploy: the first revision goes to full scale behind both Services.
func TestSimBlueGreenFirstDeploy(t *testing.T) {
	d := bgDriver(t, 3, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PrePromotionAnalysis: analysis("smoke")})
	s := d.s
	v1 := hashOf(s)
	st := s.ro.Status
	if st.Phase != v1alpha1.RolloutPhaseHealthy || st.StableRevision != v1 || st.ActiveRevision != v1 || st.PreviewRevision != v1 {
		t.Errorf("first deploy: %+v", st)
	}
	if s.services["web"] != v1 || s.services["web-preview"] != v1 || s.revs[v1].Replicas != 3 || len(s.runs) != 0 {
		t.Errorf("first deploy: services %v replicas %d runs %v", s.services, s.revs[v1].Replicas, s.runs)
	}
}

// TestBlueGreenSteadyStateNoChange: a healthy blue-green Rollout plans no action and an
// unchanged status.
func TestBlueGreenSteadyStateNoChange(t *testing.T) {
	d := bgDriver(t, 3, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", PostPromotionAnalysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	d.until(20, func() bool { return len(s.runs) == 1 })
	s.setRun(v1alpha1.AnalysisKindPostPromotion, v1alpha1.AnalysisPhaseSuccessful, "")
	d.settle(30)
	steadyNoChange(t, s)
}

// steadyNoChange checks that a settled Rollout plans nothing an hour later.
func steadyNoChange(t *testing.T, s *sim) {
	t.Helper()
	if s.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Fatalf("not healthy: %s %s", s.ro.Status.Phase, s.ro.Status.Message)
	}
	before := *s.ro.Status.DeepCopy()
	var revs []Revision
	for _, r := range s.revs {
		revs = append(revs, *r)
	}
	out := Plan(Input{Rollout: s.ro, Revisions: revs, Runs: s.runs, Now: s.now.Add(time.Hour)})
	if len(out.Revisions) != 0 || len(out.Runs) != 0 || len(out.Events) != 0 || out.RequeueAfter != 0 {
		t.Errorf("steady state plans work: %+v", out)
	}
	for svc, rev := range out.Selectors {
		if s.services[svc] != rev {
			t.Errorf("steady state moves Service %s from %s to %s", svc, s.name(s.services[svc]), s.name(rev))
		}
	}
	after := out.Status
	after.ObservedGeneration = before.ObservedGeneration
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("steady state changes status:\n%s", diff)
	}
}

// TestSimBlueGreenSpecPaused: spec.paused holds the automatic promotion; at resume the
// switch happens at once when the wait ended meanwhile.
func TestSimBlueGreenSpecPaused(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{PreviewService: "web-preview", AutoPromotionSeconds: ptr(int32(10))})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonBlueGreen })
	s.ro.Spec.Paused = true
	s.now = s.now.Add(time.Minute)
	d.settle(10)
	if s.services["web"] != v1 || s.ro.Status.Phase != v1alpha1.RolloutPhasePaused || !strings.Contains(s.ro.Status.Message, "spec.paused") {
		t.Fatalf("paused: active %s phase %s %q", s.name(s.services["web"]), s.ro.Status.Phase, s.ro.Status.Message)
	}
	s.ro.Spec.Paused = false
	d.step()
	if s.services["web"] != v2 {
		t.Errorf("resume: active %s", s.name(s.services["web"]))
	}
}

// TestSimBlueGreenPromoteFullDuringAnalysis: promote --full ends a running pre-promotion
// analysis, switches and skips the post-promotion analysis.
func TestSimBlueGreenPromoteFullDuringAnalysis(t *testing.T) {
	d := bgDriver(t, 2, v1alpha1.BlueGreenStrategy{
		PreviewService: "web-preview", PrePromotionAnalysis: analysis("smoke"), PostPromotionAnalysis: analysis("errors"),
	})
	s := d.s
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return len(s.runs) == 1 })
	s.request(v1alpha1.AnnotationPromoteFull)
	d.step()
	if s.services["web"] != v2 || s.ro.Status.StableRevision != v2 {
		t.Errorf("promote --full: active %s stable %s", s.name(s.services["web"]), s.name(s.ro.Status.StableRevision))
	}
	d.settle(20)
	if len(s.runs) != 1 {
		t.Errorf("runs %v, want the pre-promotion run only", s.runs)
	}
	for _, r := range s.runs {
		if !r.Terminating {
			t.Errorf("run %s not ended", r.Name)
		}
	}
}
