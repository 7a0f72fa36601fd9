package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// keptRuns is how many AnalysisRuns of earlier updates are kept for inspection.
const keptRuns = 5

// planner carries one planning pass.
type planner struct {
	in   Input
	ro   *v1alpha1.Rollout
	spec *v1alpha1.RolloutSpec
	now  time.Time
	st   v1alpha1.RolloutStatus

	// replicas is spec.replicas.
	replicas int32
	// updated and stable are the revision hashes.
	updated, stable string
	revs            map[string]*Revision
	actions         map[string]*RevisionAction
	// protected revisions are never pruned nor scaled down by the common pass.
	protected map[string]bool

	out Output
	// requests pending in annotations (token values).
	promote, promoteFull, abort, retry string
}

// Plan decides the desired state of a Rollout.
func Plan(in Input) Output {
	p := newPlanner(in)
	switch {
	case p.spec.Strategy.Canary != nil:
		p.canary()
	case p.spec.Strategy.BlueGreen != nil:
		p.blueGreen()
	case p.spec.Strategy.Rolling != nil:
		p.rolling()
	}
	p.finish()
	return p.out
}

func newPlanner(in Input) *planner {
	ro := in.Rollout
	p := &planner{
		in:        in,
		ro:        ro,
		spec:      &ro.Spec,
		now:       in.Now,
		st:        *ro.Status.DeepCopy(),
		replicas:  ptrOr(ro.Spec.Replicas, 1),
		revs:      map[string]*Revision{},
		actions:   map[string]*RevisionAction{},
		protected: map[string]bool{},
		out:       Output{Selectors: map[string]string{}},
	}
	for i := range in.Revisions {
		r := in.Revisions[i]
		p.revs[r.Hash] = &r
	}
	p.updated = RevisionHash(&ro.Spec.Template)
	p.stable = p.st.StableRevision

	// Pending one-shot requests.
	ann := ro.GetAnnotations()
	pending := func(key, handled string) string {
		if v := ann[key]; v != "" && v != handled {
			return v
		}
		return ""
	}
	p.promote = pending(v1alpha1.AnnotationPromote, p.st.HandledRequests.Promote)
	p.promoteFull = pending(v1alpha1.AnnotationPromoteFull, p.st.HandledRequests.PromoteFull)
	p.abort = pending(v1alpha1.AnnotationAbort, p.st.HandledRequests.Abort)
	p.retry = pending(v1alpha1.AnnotationRetry, p.st.HandledRequests.Retry)

	// A stable revision whose Deployment is gone can't be protected: start over.
	if p.stable != "" && p.stable != p.updated && p.revs[p.stable] == nil {
		p.stable = ""
	}

	// A new template starts a new update.
	if p.st.UpdatedRevision != p.updated {
		if old := p.st.UpdatedRevision; old != "" && old != p.stable && old != p.updated {
			p.event(false, v1alpha1.EventSuperseded, "Revision %s superseded by %s before it finished", old, p.updated)
		}
		p.st.UpdatedRevision = p.updated
		p.st.CurrentStepIndex = ptr(int32(0))
		p.st.StepStartedAt = p.nowTime()
		p.st.LastProgressAt = p.nowTime()
		p.st.PauseReason = ""
		p.st.Abort = nil
		p.st.Attempt = 0
		p.st.PromotedAt = nil
	}
	if p.st.Abort != nil && p.st.Abort.Revision != p.updated {
		p.st.Abort = nil
	}

	// The updated revision's Deployment, created when missing.
	if r := p.revs[p.updated]; r != nil {
		p.st.RevisionNumber = r.Number
	} else {
		var maxNum int64
		for _, r := range p.revs {
			maxNum = max(maxNum, r.Number)
		}
		num := max(maxNum, p.st.RevisionNumber) + 1
		if p.st.RevisionNumber > maxNum && p.ro.Status.UpdatedRevision == p.updated {
			// created in an earlier pass whose Deployment the cache does not show yet
			num = p.st.RevisionNumber
		}
		p.st.RevisionNumber = num
		p.actions[p.updated] = &RevisionAction{Hash: p.updated, Create: true, Number: num}
		p.revs[p.updated] = &Revision{Hash: p.updated, Number: num}
	}
	p.protected[p.updated] = true
	if p.stable != "" {
		p.protected[p.stable] = true
	}
	return p
}

// first handles a Rollout with no stable revision yet: the updated revision goes straight to
// full scale, with no steps and no analysis.
func (p *planner) first() bool {
	if p.stable != "" {
		return false
	}
	p.stable = p.updated
	p.st.StableRevision = p.updated
	p.protected[p.updated] = true
	p.event(false, v1alpha1.EventPromoted, "First revision %s deployed at full scale", p.updated)
	return true
}

// steady: nothing in flight; the stable revision at full scale.
func (p *planner) steady() {
	p.scale(p.stable, p.replicas)
	p.st.CurrentStepIndex = nil
	p.st.StepStartedAt = nil
	p.st.PauseReason = ""
	p.st.Abort = nil
	p.st.LastProgressAt = nil
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	r := p.revs[p.stable]
	switch {
	case r.Available >= p.replicas && r.Replicas == p.replicas:
		p.setPhase(v1alpha1.RolloutPhaseHealthy, "revision %s is healthy: %d/%d pods available", p.stable, r.Available, p.replicas)
	default:
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "revision %s: %d/%d pods available", p.stable, r.Available, p.replicas)
	}
	// Requests that make no sense now are acknowledged without effect.
	p.handledAll()
}

// handledAll acknowledges every pending request.
func (p *planner) handledAll() {
	p.handled(&p.promote, &p.st.HandledRequests.Promote)
	p.handled(&p.promoteFull, &p.st.HandledRequests.PromoteFull)
	p.handled(&p.abort, &p.st.HandledRequests.Abort)
	p.handled(&p.retry, &p.st.HandledRequests.Retry)
}

func (p *planner) handled(pending *string, into *string) {
	if *pending != "" {
		*into = *pending
		*pending = ""
	}
}

// requestedBy names who made the last request.
func (p *planner) requestedBy() string {
	if by := p.ro.GetAnnotations()[v1alpha1.AnnotationRequestedBy]; by != "" {
		return by
	}
	return "a user"
}

// doAbort records an abort of the updated revision.
func (p *planner) doAbort(reason, message string) {
	p.st.Abort = &v1alpha1.AbortStatus{Reason: reason, Message: message, Revision: p.updated, At: metav1.NewTime(p.now)}
	p.st.PauseReason = ""
	p.event(true, v1alpha1.EventAborted, "Update to revision %s aborted: %s", p.updated, message)
	p.event(true, v1alpha1.EventRolledBack, "All traffic back on stable revision %s", p.stable)
}

// retryIfRequested clears an abort on a retry request. It reports whether the update
// restarts.
func (p *planner) retryIfRequested() bool {
	if p.retry == "" {
		return false
	}
	p.handled(&p.retry, &p.st.HandledRequests.Retry)
	if p.st.Abort == nil {
		return false
	}
	p.st.Abort = nil
	p.st.Attempt++
	p.st.CurrentStepIndex = ptr(int32(0))
	p.st.StepStartedAt = p.nowTime()
	p.st.LastProgressAt = p.nowTime()
	p.st.PauseReason = ""
	p.event(false, v1alpha1.EventRetried, "Update to revision %s retried from the first step by %s", p.updated, p.requestedBy())
	return true
}

// scale sets the wanted replicas of a revision and clears any scale-down timer.
func (p *planner) scale(hash string, replicas int32) {
	a := p.action(hash)
	a.Replicas = replicas
	a.ScaleDownAt = nil
	p.protected[hash] = true
}

// scaleDownAfter keeps a revision's current pods until the delay has passed since its
// timer was first set, then scales it to zero.
func (p *planner) scaleDownAfter(hash string, delay time.Duration) {
	r := p.revs[hash]
	if r == nil {
		return
	}
	a := p.action(hash)
	p.protected[hash] = true
	if r.Replicas == 0 {
		a.Replicas = 0
		a.ScaleDownAt = nil
		return
	}
	at := p.now.Add(delay)
	if r.ScaleDownAt != nil {
		at = *r.ScaleDownAt
	}
	if !p.now.Before(at) {
		a.Replicas = 0
		a.ScaleDownAt = nil
		p.event(false, v1alpha1.EventScaledDown, "Scaled down revision %s", hash)
		return
	}
	a.Replicas = r.Replicas
	a.ScaleDownAt = &at
	p.requeue(at.Sub(p.now))
}

func (p *planner) action(hash string) *RevisionAction {
	a := p.actions[hash]
	if a == nil {
		r := p.revs[hash]
		a = &RevisionAction{Hash: hash, Replicas: r.Replicas, ScaleDownAt: r.ScaleDownAt}
		p.actions[hash] = a
	}
	return a
}

// finish scales down and prunes revisions the strategy did not name, sets replica counts
// and garbage-collects old AnalysisRuns.
func (p *planner) finish() {
	// Revisions no strategy step protected: superseded or reverted canaries go to zero now;
	// those with a timer keep it.
	var old []*Revision
	for h, r := range p.revs {
		if p.protected[h] {
			continue
		}
		if r.ScaleDownAt != nil {
			p.scaleDownAfter(h, 0)
			continue
		}
		if r.Replicas > 0 {
			a := p.action(h)
			a.Replicas = 0
			p.event(false, v1alpha1.EventScaledDown, "Scaled down revision %s", h)
		}
		old = append(old, r)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Number > old[j].Number })
	limit := int(ptrOr(p.spec.RevisionHistoryLimit, 10))
	for i, r := range old {
		if i >= limit {
			a := p.action(r.Hash)
			a.Delete = true
		}
	}

	// Only actions that change something.
	for h, a := range p.actions {
		r := p.revs[h]
		if a.Create || a.Delete || r == nil || a.Replicas != r.Replicas || !sameTime(a.ScaleDownAt, r.ScaleDownAt) {
			p.out.Revisions = append(p.out.Revisions, *a)
		}
	}
	sort.Slice(p.out.Revisions, func(i, j int) bool { return p.out.Revisions[i].Hash < p.out.Revisions[j].Hash })

	// Replica counts across revisions: desired counts as planned in this pass (so the
	// status needs no second write once the scale is applied), ready and available as
	// observed.
	var total, ready, available int32
	for h, r := range p.revs {
		want := r.Replicas
		if a := p.actions[h]; a != nil {
			if a.Delete {
				continue
			}
			want = a.Replicas
		}
		total += want
		ready += r.Ready
		available += r.Available
	}
	p.st.Replicas = total
	p.st.ReadyReplicas = ready
	p.st.AvailableReplicas = available
	if u := p.revs[p.updated]; u != nil {
		p.st.UpdatedReplicas = u.Replicas
		if a := p.actions[p.updated]; a != nil {
			p.st.UpdatedReplicas = a.Replicas
		}
		p.st.UpdatedAvailableReplicas = u.Available
	}
	p.st.StableRevision = p.stable

	// Old AnalysisRuns: keep the runs of the current update and a few others.
	var others []Run
	for _, r := range p.in.Runs {
		if r.Revision == p.updated && p.runOfAttempt(r.Name) {
			continue
		}
		if !r.Phase.Completed() && !r.Terminating {
			p.out.Runs = append(p.out.Runs, RunPlan{Action: RunTerminate, Name: r.Name, Kind: r.Kind, Revision: r.Revision})
			continue
		}
		others = append(others, r)
	}
	sort.Slice(others, func(i, j int) bool {
		if !others[i].Created.Equal(others[j].Created) {
			return others[i].Created.After(others[j].Created)
		}
		return others[i].Name > others[j].Name
	})
	for i, r := range others {
		if i >= keptRuns {
			p.out.Runs = append(p.out.Runs, RunPlan{Action: RunDelete, Name: r.Name, Kind: r.Kind, Revision: r.Revision})
		}
	}
	sort.SliceStable(p.out.Runs, func(i, j int) bool { return p.out.Runs[i].Name < p.out.Runs[j].Name })

	// Status list of the current update's runs.
	var runs []v1alpha1.RolloutAnalysisRunStatus
	for _, r := range p.in.Runs {
		if r.Revision == p.updated && p.runOfAttempt(r.Name) {
			runs = append(runs, v1alpha1.RolloutAnalysisRunStatus{Name: r.Name, Kind: r.Kind, Phase: r.Phase, Message: r.Message})
		}
	}
	for _, rp := range p.out.Runs {
		if rp.Action == RunEnsure {
			if _, ok := p.in.Runs[rp.Name]; !ok {
				runs = append(runs, v1alpha1.RolloutAnalysisRunStatus{Name: rp.Name, Kind: rp.Kind, Phase: v1alpha1.AnalysisPhasePending})
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Name < runs[j].Name })
	p.st.AnalysisRuns = runs
	p.out.Status = p.st
}

// runOfAttempt reports whether a run name belongs to the current attempt of the update.
func (p *planner) runOfAttempt(name string) bool {
	suffix := ""
	if p.st.Attempt > 0 {
		suffix = fmt.Sprintf("-a%d", p.st.Attempt)
	}
	if suffix == "" {
		// no attempt suffix: names must not end in -a<N>
		i := strings.LastIndex(name, "-a")
		if i < 0 {
			return true
		}
		_, err := fmt.Sscanf(name[i+2:], "%d", new(int))
		return err != nil
	}
	return strings.HasSuffix(name, suffix)
}

// RunName is the deterministic name of an AnalysisRun, so a restarted controller finds the
// run it created instead of making a second one.
func RunName(rollout, revision string, kind v1alpha1.AnalysisKind, step int32, attempt int32) string {
	var b strings.Builder
	b.WriteString(rollout)
	b.WriteString("-")
	b.WriteString(revision)
	switch kind {
	case v1alpha1.AnalysisKindStep:
		fmt.Fprintf(&b, "-step%d", step+1)
	case v1alpha1.AnalysisKindBackground:
		b.WriteString("-bg")
	case v1alpha1.AnalysisKindPrePromotion:
		b.WriteString("-pre")
	case v1alpha1.AnalysisKindPostPromotion:
		b.WriteString("-post")
	}
	if attempt > 0 {
		fmt.Fprintf(&b, "-a%d", attempt)
	}
	return b.String()
}

// ensureRun asks for a run and returns what is known of it.
func (p *planner) ensureRun(kind v1alpha1.AnalysisKind, step int32, a *v1alpha1.RolloutAnalysis) Run {
	name := RunName(p.ro.Name, p.updated, kind, step, p.st.Attempt)
	if r, ok := p.in.Runs[name]; ok {
		return r
	}
	p.out.Runs = append(p.out.Runs, RunPlan{Action: RunEnsure, Name: name, Kind: kind, Revision: p.updated, Analysis: a})
	p.event(false, v1alpha1.EventAnalysisStarted, "Started analysis %s", name)
	return Run{Name: name, Kind: kind, Phase: v1alpha1.AnalysisPhasePending, Revision: p.updated}
}

// terminateRun ends a run that measures until the update ends.
func (p *planner) terminateRun(kind v1alpha1.AnalysisKind, step int32) {
	name := RunName(p.ro.Name, p.updated, kind, step, p.st.Attempt)
	if r, ok := p.in.Runs[name]; ok && !r.Phase.Completed() && !r.Terminating {
		p.out.Runs = append(p.out.Runs, RunPlan{Action: RunTerminate, Name: name, Kind: kind, Revision: p.updated})
	}
}

func (p *planner) event(warning bool, reason, format string, args ...any) {
	p.out.Events = append(p.out.Events, Event{Warning: warning, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (p *planner) requeue(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	if p.out.RequeueAfter == 0 || d < p.out.RequeueAfter {
		p.out.RequeueAfter = d
	}
}

func (p *planner) setPhase(phase v1alpha1.RolloutPhase, format string, args ...any) {
	p.st.Phase = phase
	p.st.Message = fmt.Sprintf(format, args...)
}

func (p *planner) nowTime() *metav1.Time {
	t := metav1.NewTime(p.now)
	return &t
}

// ready reports a revision's ready and available pods (zero when unknown).
func (p *planner) avail(hash string) int32 {
	if r := p.revs[hash]; r != nil {
		return r.Available
	}
	return 0
}

func (p *planner) readyPods(hash string) int32 {
	if r := p.revs[hash]; r != nil {
		return r.Ready
	}
	return 0
}

// selectIfReady points a Service at want when want has ready pods, else at fallback.
func (p *planner) selectIfReady(service, want, fallback string) {
	if service == "" {
		return
	}
	if p.readyPods(want) > 0 || fallback == "" || p.readyPods(fallback) == 0 {
		p.out.Selectors[service] = want
		return
	}
	p.out.Selectors[service] = fallback
}

// scaledValue resolves an int-or-percent against n (percent rounded up when roundUp).
func scaledValue(v *intstr.IntOrString, n int32, roundUp bool, def int32) int32 {
	if v == nil {
		return def
	}
	out, err := intstr.GetScaledValueFromIntOrPercent(v, int(n), roundUp)
	if err != nil {
		return def
	}
	return int32(out)
}

func parseDuration(d *v1alpha1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return 0
	}
	return v
}

func seconds(v *int32, def int32) time.Duration {
	return time.Duration(ptrOr(v, def)) * time.Second
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Unix() == b.Unix()
}

func ptr[T any](v T) *T { return &v }

func ptrOr[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// shortDuration prints a duration rounded to seconds.
func shortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}
