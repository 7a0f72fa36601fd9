package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// rollingPass is sim.pass for rolling Rollouts: the same world, except that a Service may
// select every revision (the empty selector value), which its invariant check allows when
// some revision has ready pods.
func rollingPass(s *sim) Output {
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
	anyReady := false
	for _, r := range s.revs {
		if r.Ready > 0 {
			anyReady = true
		}
	}
	for svc, rev := range s.services {
		if rev == "" {
			continue // every revision
		}
		if anyReady && (s.revs[rev] == nil || s.revs[rev].Ready == 0) {
			s.t.Errorf("at %s Service %s selects %s with no ready pods", s.now.Sub(s.start), svc, s.name(rev))
		}
	}
	for h, r := range s.revs {
		if s.broken[h] {
			r.Ready, r.Available = 0, 0
			continue
		}
		r.Ready, r.Available = r.Replicas, r.Replicas
	}
	return out
}

func rollingRollout(replicas int32, r v1alpha1.RollingStrategy) *v1alpha1.Rollout {
	ro := testRollout(replicas)
	ro.Spec.Strategy = v1alpha1.RolloutStrategy{Rolling: &r}
	return ro
}

func intOrString(s string) *intstr.IntOrString {
	v := intstr.Parse(s)
	return &v
}

// rollBoundsCheck is the per-pass check of a roll: while an update moves (not aborted, not
// fully promoted), desired pods never exceed replicas + maxSurge and the pods a pass leaves
// available never drop below replicas - maxUnavailable.
type rollBoundsCheck struct {
	off bool
	// worst seen
	maxTotal, minAvailable int32
}

// rollDriver deploys web:v1 with a rolling strategy and checks the bounds at every pass
// after the first revision is healthy.
func rollDriver(t *testing.T, replicas int32, r v1alpha1.RollingStrategy) (*driver, *rollBoundsCheck) {
	t.Helper()
	s := newSim(t, rollingRollout(replicas, r))
	s.names[RevisionHash(&s.ro.Spec.Template)] = "web:v1"
	s.names[""] = "*"
	s.logf("# apply rollout web image=web:v1 replicas=%d (rolling maxSurge %v maxUnavailable %v pause %v)", replicas,
		strOrDefault(r.MaxSurge), strOrDefault(r.MaxUnavailable), durOrNone(r.PauseBetweenBatches))
	d := &driver{s: s, pass: func() Output { return rollingPass(s) }}
	d.settle(20)
	surge, unavailable := rollBounds(&r, replicas)
	c := &rollBoundsCheck{maxTotal: 0, minAvailable: replicas}
	d.check = func(a applied, out Output) {
		t.Helper()
		if c.off || s.ro.Status.Abort != nil {
			return
		}
		var total, available int32
		for _, rev := range a {
			total += rev.Replicas
			available += rev.Available
		}
		c.maxTotal = max(c.maxTotal, total)
		c.minAvailable = min(c.minAvailable, available)
		if total > replicas+surge {
			t.Errorf("at %s %d pods desired, above %d + maxSurge %d", s.now.Sub(s.start), total, replicas, surge)
		}
		if available < replicas-unavailable {
			t.Errorf("at %s %d pods available, below %d - maxUnavailable %d", s.now.Sub(s.start), available, replicas, unavailable)
		}
	}
	return d, c
}

// revOf is a revision of the simulation (zero before its Deployment exists).
func revOf(s *sim, hash string) Revision {
	if r := s.revs[hash]; r != nil {
		return *r
	}
	return Revision{}
}

func strOrDefault(v *intstr.IntOrString) string {
	if v == nil {
		return "default"
	}
	return v.String()
}

func durOrNone(d *v1alpha1.Duration) string {
	if d == nil {
		return "none"
	}
	return string(*d)
}

func TestSimRolling(t *testing.T) {
	d, c := rollDriver(t, 5, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	var selectors []string
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		if sel := s.name(s.services["web"]); len(selectors) == 0 || selectors[len(selectors)-1] != sel {
			selectors = append(selectors, sel)
		}
	}
	d.until(40, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(10)
	if c.maxTotal != 6 || c.minAvailable != 5 {
		t.Errorf("worst total %d available %d, want 6 and 5", c.maxTotal, c.minAvailable)
	}
	if s.ro.Status.StableRevision != v2 || s.revs[v2].Replicas != 5 || s.revs[v1].Replicas != 0 {
		t.Errorf("end: stable %s v2 %d v1 %d", s.name(s.ro.Status.StableRevision), s.revs[v2].Replicas, s.revs[v1].Replicas)
	}
	if diff := cmp.Diff([]string{"web:v1", "*", "web:v2"}, selectors); diff != "" {
		t.Errorf("Service selector (-want +got):\n%s", diff)
	}
	s.golden("rolling-surge1")
}

func TestSimRollingPauseBetweenBatches(t *testing.T) {
	pause := v1alpha1.Duration("10s")
	d, _ := rollDriver(t, 3, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), PauseBetweenBatches: &pause})
	s := d.s
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonStep })
	st := s.ro.Status
	if st.Phase != v1alpha1.RolloutPhasePaused || st.Step != "1/3" || st.StepStartedAt == nil || !strings.Contains(st.Message, "next batch") {
		t.Errorf("first pause: phase %s step %s message %q", st.Phase, st.Step, st.Message)
	}
	ended := st.StepStartedAt.Time
	d.until(20, func() bool { return revOf(s, v2).Replicas == 2 })
	if got := s.now.Sub(ended); got < 10e9 {
		t.Errorf("next batch %s after the last one ended, want at least 10s", got)
	}
	// A promote skips the next pause.
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonStep })
	s.request(v1alpha1.AnnotationPromote)
	d.step()
	if s.revs[v2].Replicas != 3 || s.ro.Status.PauseReason != "" {
		t.Errorf("promote did not skip the pause: v2 %d pause %q", s.revs[v2].Replicas, s.ro.Status.PauseReason)
	}
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(10)
	s.golden("rolling-pause")
}

func TestSimRollingAnalysisFails(t *testing.T) {
	d, _ := rollDriver(t, 4, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("1"), Analysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available >= 2 && s.services["web"] == "" })
	s.setRun(v1alpha1.AnalysisKindBackground, v1alpha1.AnalysisPhaseFailed, "error rate 0.2 above 0.01")
	d.step()
	st := s.ro.Status
	if st.Abort == nil || st.Abort.Reason != v1alpha1.ReasonAnalysisFailed || st.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Fatalf("abort %+v phase %s", st.Abort, st.Phase)
	}
	if s.services["web"] != v1 || s.revs[v1].Replicas != 4 || s.revs[v2].Replicas == 0 || s.revs[v2].ScaleDownAt == nil {
		t.Errorf("after the failure: Service %s, v1 %d, v2 %d (timer %v)", s.name(s.services["web"]), s.revs[v1].Replicas, s.revs[v2].Replicas, s.revs[v2].ScaleDownAt)
	}
	d.settle(20)
	if s.revs[v2].Replicas != 0 || st.Weights.Canary != 0 {
		t.Errorf("rolled back: v2 %d weights %+v", s.revs[v2].Replicas, st.Weights)
	}
	s.golden("rolling-analysis-fails")
}

func TestSimRollingSupersede(t *testing.T) {
	d, _ := rollDriver(t, 5, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available == 2 && revOf(s, v1).Replicas == 3 })
	s.setImage("web:v3")
	v3 := hashOf(s)
	// v2 gives up its pods before v1 does.
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		if a[v1].Replicas < 3 && a[v2].Replicas > 0 {
			t.Errorf("at %s stable shrank to %d while the superseded revision has %d", s.now.Sub(s.start), a[v1].Replicas, a[v2].Replicas)
		}
	}
	d.until(40, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(10)
	if s.ro.Status.StableRevision != v3 || s.revs[v2].Replicas != 0 || s.revs[v1].Replicas != 0 || s.revs[v3].Replicas != 5 {
		t.Errorf("end: stable %s, v1 %d v2 %d v3 %d", s.name(s.ro.Status.StableRevision), s.revs[v1].Replicas, s.revs[v2].Replicas, s.revs[v3].Replicas)
	}
	s.golden("rolling-supersede")
}

func TestSimRollingRevert(t *testing.T) {
	d, _ := rollDriver(t, 5, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), Analysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available == 3 && revOf(s, v1).Replicas == 2 })
	s.setImage("web:v1")
	d.step()
	if s.ro.Status.StableRevision != v1 || s.ro.Status.Phase != v1alpha1.RolloutPhaseProgressing || !strings.Contains(s.ro.Status.Message, "rolling back") {
		t.Errorf("revert: stable %s phase %s %q", s.name(s.ro.Status.StableRevision), s.ro.Status.Phase, s.ro.Status.Message)
	}
	d.until(40, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(10)
	if s.revs[v1].Replicas != 5 || s.revs[v2].Replicas != 0 || s.services["web"] != v1 {
		t.Errorf("end: v1 %d v2 %d Service %s", s.revs[v1].Replicas, s.revs[v2].Replicas, s.name(s.services["web"]))
	}
	for _, r := range s.runs {
		if !r.Terminating && !r.Phase.Completed() {
			t.Errorf("run %s still measures", r.Name)
		}
	}
	s.golden("rolling-revert")
}

func TestSimRollingPromoteFull(t *testing.T) {
	pause := v1alpha1.Duration("1m")
	d, c := rollDriver(t, 4, v1alpha1.RollingStrategy{MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), PauseBetweenBatches: &pause, Analysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return s.ro.Status.PauseReason == v1alpha1.PauseReasonStep })
	c.off = true
	s.request(v1alpha1.AnnotationPromoteFull)
	inner := d.check
	d.check = func(a applied, out Output) {
		inner(a, out)
		var available int32
		for _, rev := range a {
			available += rev.Available
		}
		if available < 4 {
			t.Errorf("at %s %d pods available", s.now.Sub(s.start), available)
		}
	}
	d.step()
	if s.revs[v2].Replicas != 4 || s.revs[v1].Replicas != 3 {
		t.Errorf("promote --full: v2 %d v1 %d, want 4 and 3 (old kept until new available)", s.revs[v2].Replicas, s.revs[v1].Replicas)
	}
	d.until(10, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.revs[v1].Replicas != 0 || s.ro.Status.StableRevision != v2 {
		t.Errorf("end: v1 %d stable %s", s.revs[v1].Replicas, s.name(s.ro.Status.StableRevision))
	}
}

func TestSimRollingAbortRetry(t *testing.T) {
	d, _ := rollDriver(t, 3, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), Analysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available == 2 })
	s.request(v1alpha1.AnnotationAbort)
	d.step()
	if s.services["web"] != v1 || s.ro.Status.Abort == nil || s.revs[v1].Replicas != 3 {
		t.Fatalf("abort: Service %s abort %v v1 %d", s.name(s.services["web"]), s.ro.Status.Abort, s.revs[v1].Replicas)
	}
	d.settle(20)
	s.request(v1alpha1.AnnotationRetry)
	d.until(30, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 || s.ro.Status.Attempt != 1 {
		t.Errorf("retry: stable %s attempt %d", s.name(s.ro.Status.StableRevision), s.ro.Status.Attempt)
	}
	if _, ok := s.runs["web-"+v2+"-bg-a1"]; !ok {
		t.Errorf("no background run for the retry: %v", s.runs)
	}
}

// TestSimRollingInconclusive: an inconclusive background analysis holds the roll until a
// promote, which measures afresh.
func TestSimRollingInconclusive(t *testing.T) {
	d, _ := rollDriver(t, 3, v1alpha1.RollingStrategy{MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), Analysis: analysis("errors")})
	s := d.s
	s.setImage("web:v2")
	v2 := hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available == 1 })
	s.setRun(v1alpha1.AnalysisKindBackground, v1alpha1.AnalysisPhaseInconclusive, "no data")
	d.settle(10)
	if s.ro.Status.PauseReason != v1alpha1.PauseReasonInconclusive || s.revs[v2].Replicas != 1 {
		t.Fatalf("inconclusive: pause %q v2 %d", s.ro.Status.PauseReason, s.revs[v2].Replicas)
	}
	s.request(v1alpha1.AnnotationPromote)
	d.until(30, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
}

// TestSimRollingProgressDeadline: a new revision whose pods never get ready is rolled back.
func TestSimRollingProgressDeadline(t *testing.T) {
	d, _ := rollDriver(t, 3, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0")})
	s := d.s
	s.ro.Spec.ProgressDeadlineSeconds = ptr(int32(60))
	s.setImage("web:v2")
	s.broken[hashOf(s)] = true
	d.until(20, func() bool { return s.ro.Status.Abort != nil })
	if s.ro.Status.Abort.Reason != v1alpha1.ReasonProgressDeadlineExceeded {
		t.Errorf("reason %s", s.ro.Status.Abort.Reason)
	}
}

// TestRollingSteadyStateNoChange: a healthy rolling Rollout plans no action and an unchanged
// status.
func TestRollingSteadyStateNoChange(t *testing.T) {
	d, _ := rollDriver(t, 3, v1alpha1.RollingStrategy{Service: "web", MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0"), Analysis: analysis("errors")})
	d.s.setImage("web:v2")
	d.until(30, func() bool { return d.s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	d.settle(10)
	steadyNoChange(t, d.s)
}

// TestRollBounds: maxSurge rounds up, maxUnavailable down, both zero means one unavailable.
func TestRollBounds(t *testing.T) {
	cases := []struct {
		replicas                   int32
		surge, unavailable         string
		wantSurge, wantUnavailable int32
	}{
		{1, "", "", 1, 0},
		{1, "25%", "0", 1, 0},
		{1, "0", "1", 0, 1},
		{1, "0", "25%", 0, 1},
		{2, "25%", "25%", 1, 0},
		{5, "25%", "25%", 2, 1},
		{10, "25%", "25%", 3, 2},
		{10, "0%", "0%", 0, 1},
		{10, "3", "20", 3, 10},
	}
	for _, tc := range cases {
		r := v1alpha1.RollingStrategy{}
		if tc.surge != "" {
			r.MaxSurge = intOrString(tc.surge)
		}
		if tc.unavailable != "" {
			r.MaxUnavailable = intOrString(tc.unavailable)
		}
		s, u := rollBounds(&r, tc.replicas)
		if s != tc.wantSurge || u != tc.wantUnavailable {
			t.Errorf("replicas %d surge %q unavailable %q: got %d/%d, want %d/%d", tc.replicas, tc.surge, tc.unavailable, s, u, tc.wantSurge, tc.wantUnavailable)
		}
	}
}

// TestRollBatches: the new revision's scale at the start of each batch, rolling from one
// old revision at full scale with pods that get ready between passes; every pass keeps the
// bounds.
func TestRollBatches(t *testing.T) {
	cases := []struct {
		replicas           int32
		surge, unavailable string
		want               []int32
	}{
		{1, "25%", "0", []int32{1}},
		{1, "0", "1", []int32{1}},
		{1, "1", "0", []int32{1}},
		{2, "25%", "0", []int32{1, 2}},
		{2, "0", "1", []int32{1, 2}},
		{2, "50%", "50%", []int32{2}},
		{5, "1", "0", []int32{1, 2, 3, 4, 5}},
		{5, "25%", "0", []int32{2, 4, 5}},
		{5, "0", "1", []int32{1, 2, 3, 4, 5}},
		{5, "1", "1", []int32{2, 4, 5}},
		{5, "0", "0", []int32{1, 2, 3, 4, 5}},
		{5, "100%", "0", []int32{5}},
		{10, "25%", "0", []int32{3, 6, 9, 10}},
		{10, "25%", "25%", []int32{5, 10}},
		{10, "10%", "0", []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{10, "0", "30%", []int32{3, 6, 9, 10}},
		{10, "2", "0", []int32{2, 4, 6, 8, 10}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("replicas=%d/surge=%s/unavailable=%s", tc.replicas, tc.surge, tc.unavailable), func(t *testing.T) {
			n := tc.replicas
			r := v1alpha1.RollingStrategy{MaxSurge: intOrString(tc.surge), MaxUnavailable: intOrString(tc.unavailable)}
			surge, unavailable := rollBounds(&r, n)
			nw := rollPods{}
			old := []rollPods{{Replicas: n, Available: n, Ready: n}}
			var got []int32
			for pass := 0; ; pass++ {
				if pass > 100 {
					t.Fatalf("roll does not end: batches %v", got)
				}
				settled := rollSettled(n, nw, old)
				if settled && nw.Replicas >= n && old[0].Replicas == 0 {
					break
				}
				newWant, oldWant := rollPass(n, surge, unavailable, nw, old, settled, false)
				if settled {
					got = append(got, newWant)
				}
				total := newWant + oldWant[0]
				available := min(nw.Available, newWant) + min(old[0].Available, oldWant[0])
				if total > n+surge || available < n-unavailable {
					t.Errorf("pass %d: new %d old %d: %d desired (max %d), %d available (min %d)", pass, newWant, oldWant[0], total, n+surge, available, n-unavailable)
				}
				nw = rollPods{Replicas: newWant, Available: newWant, Ready: newWant}
				old = []rollPods{{Replicas: oldWant[0], Available: oldWant[0], Ready: oldWant[0]}}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRollPass: single passes with unready pods and several old revisions.
func TestRollPass(t *testing.T) {
	cases := []struct {
		name               string
		replicas           int32
		surge, unavailable int32
		nw                 rollPods
		old                []rollPods
		start, full        bool
		wantNew            int32
		wantOld            []int32
	}{
		{
			name: "batch start surges only", replicas: 5, surge: 1,
			nw: rollPods{}, old: []rollPods{{5, 5, 5}}, start: true,
			wantNew: 1, wantOld: []int32{5},
		},
		{
			name: "old shrinks by the new pods available", replicas: 5, surge: 1,
			nw: rollPods{1, 1, 1}, old: []rollPods{{5, 5, 5}},
			wantNew: 1, wantOld: []int32{4},
		},
		{
			name: "old waits for new pods", replicas: 5, surge: 1,
			nw: rollPods{1, 0, 0}, old: []rollPods{{5, 5, 5}},
			wantNew: 1, wantOld: []int32{5},
		},
		{
			name: "unavailable old pods go first and cost nothing", replicas: 5, surge: 1,
			nw: rollPods{2, 0, 0}, old: []rollPods{{5, 4, 4}},
			wantNew: 2, wantOld: []int32{4},
		},
		{
			name: "maxUnavailable shrinks old before new pods are ready", replicas: 4, surge: 0, unavailable: 1,
			nw: rollPods{}, old: []rollPods{{4, 4, 4}}, start: true,
			wantNew: 1, wantOld: []int32{3},
		},
		{
			name: "superseded revision gives up pods before the stable one", replicas: 5, surge: 1,
			nw: rollPods{1, 1, 1}, old: []rollPods{{2, 2, 2}, {3, 3, 3}},
			wantNew: 1, wantOld: []int32{1, 3},
		},
		{
			name: "surge bound holds when old pods cannot go yet", replicas: 5, surge: 1, unavailable: 1,
			nw: rollPods{1, 0, 0}, old: []rollPods{{5, 4, 4}}, start: true,
			wantNew: 2, wantOld: []int32{4},
		},
		{
			name: "full: new to replicas at once, old kept until new available", replicas: 4, surge: 1,
			nw: rollPods{1, 1, 1}, old: []rollPods{{3, 3, 3}}, full: true,
			wantNew: 4, wantOld: []int32{3},
		},
		{
			name: "full: old goes when new is available", replicas: 4, surge: 1,
			nw: rollPods{4, 4, 4}, old: []rollPods{{3, 3, 3}}, full: true,
			wantNew: 4, wantOld: []int32{0},
		},
		{
			name: "new above replicas shrinks", replicas: 3, surge: 1,
			nw: rollPods{5, 5, 5}, old: []rollPods{{1, 1, 1}},
			wantNew: 3, wantOld: []int32{0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotNew, gotOld := rollPass(tc.replicas, tc.surge, tc.unavailable, tc.nw, tc.old, tc.start, tc.full)
			if gotNew != tc.wantNew {
				t.Errorf("new %d, want %d", gotNew, tc.wantNew)
			}
			if diff := cmp.Diff(tc.wantOld, gotOld); diff != "" {
				t.Errorf("old (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimRollingSpecPaused: spec.paused keeps every scale; resume goes on.
func TestSimRollingSpecPaused(t *testing.T) {
	d, _ := rollDriver(t, 4, v1alpha1.RollingStrategy{MaxSurge: intOrString("1"), MaxUnavailable: intOrString("0")})
	s := d.s
	s.setImage("web:v2")
	v1, v2 := s.ro.Status.StableRevision, hashOf(s)
	d.until(20, func() bool { return revOf(s, v2).Available == 1 })
	s.ro.Spec.Paused = true
	d.settle(10)
	if s.revs[v2].Replicas != 1 || s.revs[v1].Replicas != 4 || s.ro.Status.Phase != v1alpha1.RolloutPhasePaused {
		t.Fatalf("paused: v1 %d v2 %d phase %s", s.revs[v1].Replicas, s.revs[v2].Replicas, s.ro.Status.Phase)
	}
	s.ro.Spec.Paused = false
	d.until(20, func() bool { return s.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy })
	if s.ro.Status.StableRevision != v2 {
		t.Errorf("stable %s", s.name(s.ro.Status.StableRevision))
	}
}
