package plan

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/traffic"
)

// rolling plans the rolling strategy.
//
// The new revision grows and the old revisions shrink in batches, bounded like a
// Deployment's rolling update: desired pods across revisions never exceed
// replicas + maxSurge (a percentage rounded up), and available pods never drop below
// replicas - maxUnavailable (rounded down) because of a scale-down; both zero means
// maxUnavailable 1. A batch grows the new revision by maxSurge + maxUnavailable pods (as
// far as the bounds allow) and shrinks the old revisions, as fast as the availability floor
// allows, to what the new revision replaces. The batch is done when its new pods are
// available and the old pods it replaces are gone; then pauseBetweenBatches is waited
// (status.stepStartedAt is when the batch ended) before the next batch starts.
//
// The Service, when one is named, selects the old revision until the new one has ready
// pods, then every revision that has ready pods (the planner asks for the empty selector
// value, which removes stride.dev/revision from the Service's selector, so the user's own
// keys select the pods of every revision), and the new revision once the roll is done. A
// revision kept only for inspection after an abort is scaled to zero when a roll starts,
// so the Service never reaches it.
//
// A newer template mid-roll rolls on to the newest revision: the half-done one is an old
// revision like the stable one, and gives up its pods first. A template reverted to the
// stable revision mid-roll rolls back to it under the same bounds, without pauses or
// analysis. The background analysis runs for the whole roll; its failure (or an abort)
// brings the stable revision back to full scale at once and points the Service at it; the
// new revision keeps its pods for abortScaleDownDelaySeconds.
func (p *planner) rolling() {
	r := p.spec.Strategy.Rolling
	p.st.StepCount = 0
	p.st.CurrentStepIndex = nil
	if p.first() {
		p.rollingSteady(r)
		return
	}
	if p.updated == p.stable {
		old := p.rollingOld()
		if len(old) == 0 {
			p.rollingSteady(r)
			return
		}
		// Reverted mid-roll: roll back to the stable revision.
		full := p.promoteFull != ""
		p.handledAll()
		p.st.PauseReason = ""
		p.st.Abort = nil
		p.st.LastProgressAt = nil
		p.dropIdle()
		p.roll(r, old, false, full, true)
		return
	}

	p.retryIfRequested()
	if p.st.Abort == nil && p.abort != "" {
		p.handled(&p.abort, &p.st.HandledRequests.Abort)
		p.doAbort(v1alpha1.ReasonAborted, fmt.Sprintf("aborted by %s", p.requestedBy()))
	}
	if p.st.Abort != nil {
		p.rollingAborted(r)
		return
	}
	promote, full := p.promote != "", p.promoteFull != ""
	p.handledAll()
	if full {
		p.event(false, v1alpha1.EventPromoted, "Fully promoted by %s: the roll finishes at once, background analysis ended", p.requestedBy())
		p.terminateRun(v1alpha1.AnalysisKindBackground, 0)
		p.st.PauseReason = ""
	}

	// Background analysis for the whole roll, until promote --full ends it.
	bg := RunName(p.ro.Name, p.updated, v1alpha1.AnalysisKindBackground, 0, p.st.Attempt)
	if run, ok := p.in.Runs[bg]; r.Analysis != nil && !full && !(ok && run.Terminating) {
		if p.background(r.Analysis, &promote) {
			p.rollingAborted(r)
			return
		}
	}
	p.dropIdle()
	p.roll(r, p.rollingOld(), promote, full, false)
}

// rollingOld lists the revisions a roll shrinks: the stable revision and every other one
// that still has pods and no scale-down timer, in the order they give up pods (superseded
// revisions first, newest first; the stable revision last).
func (p *planner) rollingOld() []*Revision {
	var old []*Revision
	for h, r := range p.revs {
		if h == p.updated || h == p.stable {
			continue
		}
		if r.Replicas > 0 && r.ScaleDownAt == nil {
			old = append(old, r)
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Number > old[j].Number })
	if s := p.revs[p.stable]; s != nil && p.stable != p.updated {
		old = append(old, s)
	}
	return old
}

// dropIdle scales to zero at once the revisions that keep pods only for inspection (an
// aborted revision waiting for its timer): they serve no traffic, and during a roll the
// Service selects every revision.
func (p *planner) dropIdle() {
	for h, r := range p.revs {
		if h != p.updated && h != p.stable && r.Replicas > 0 && r.ScaleDownAt != nil {
			p.scale(h, 0)
			p.event(false, v1alpha1.EventScaledDown, "Scaled down revision %s", h)
		}
	}
}

// roll plans one pass of a roll toward the updated revision. back is a roll back to the
// stable revision after a revert (no pauses, no completion of an update).
func (p *planner) roll(r *v1alpha1.RollingStrategy, old []*Revision, promote, full, back bool) {
	n := p.replicas
	surge, unavailable := rollBounds(r, n)
	u := p.revs[p.updated]
	nw := rollPods{Replicas: u.Replicas, Available: u.Available, Ready: u.Ready}
	olds := make([]rollPods, len(old))
	var oldReplicas int32
	for i, o := range old {
		olds[i] = rollPods{Replicas: o.Replicas, Available: o.Available, Ready: o.Ready}
		oldReplicas += o.Replicas
	}
	settled := rollSettled(n, nw, olds)
	finished := settled && u.Replicas >= n && oldReplicas == 0
	holding := p.spec.Paused || p.st.PauseReason == v1alpha1.PauseReasonInconclusive
	pause := parseDuration(r.PauseBetweenBatches)
	if back {
		pause = 0
	}

	// A new batch starts when the last one is done and its pause is over.
	start := false
	if settled && !finished && !holding {
		if u.Replicas > 0 && p.st.PauseReason != v1alpha1.PauseReasonStep && p.ro.Status.UpdatedRevision == p.updated {
			p.event(false, v1alpha1.EventStepCompleted, "Batch completed: %d/%d pods of revision %s available", u.Available, n, p.updated)
		}
		switch {
		case u.Replicas == 0 || pause == 0 || full:
			start = true
		case p.st.PauseReason == v1alpha1.PauseReasonStep:
			at := p.st.StepStartedAt.Add(pause)
			if promote || !p.now.Before(at) {
				start = true
			} else {
				p.requeue(at.Sub(p.now))
			}
		default:
			p.st.StepStartedAt = p.nowTime()
			p.st.PauseReason = v1alpha1.PauseReasonStep
			if promote {
				start = true
			} else {
				p.requeue(pause)
			}
		}
		if start && promote && p.st.PauseReason == v1alpha1.PauseReasonStep {
			p.event(false, v1alpha1.EventPromoted, "Promoted by %s: pause between batches skipped", p.requestedBy())
		}
		if start {
			p.st.PauseReason = ""
			p.st.LastProgressAt = p.nowTime()
		}
	}

	newWant, oldWant := nw.Replicas, make([]int32, len(olds))
	for i := range olds {
		oldWant[i] = olds[i].Replicas
	}
	if !p.spec.Paused {
		newWant, oldWant = rollPass(n, surge, unavailable, nw, olds, start, full)
	}
	p.scale(p.updated, newWant)
	var oldLeft int32
	for i, o := range old {
		p.scale(o.Hash, oldWant[i])
		oldLeft += oldWant[i]
	}

	if newWant >= n && u.Available >= n && oldLeft == 0 && !holding {
		if back {
			p.event(false, v1alpha1.EventRolledBack, "Rolled back to revision %s", p.stable)
		} else {
			p.stable = p.updated
			p.st.StableRevision = p.updated
			p.terminateRun(v1alpha1.AnalysisKindBackground, 0)
			p.event(false, v1alpha1.EventRolloutCompleted, "Revision %s is now stable: %d/%d pods updated", p.updated, n, n)
		}
		p.rollingSteady(r)
		return
	}

	p.rollingService(r, old, oldWant)
	p.rollingWeights(r, old, oldWant)
	if back {
		// The revision rolled away from is the one not stable.
		w := p.st.Weights
		w.Canary, w.Stable = w.Stable, w.Canary
	}
	p.st.Step = fmt.Sprintf("%d/%d", min(newWant, n), n)

	var available int32
	for _, o := range olds {
		available += min(o.Available, o.Replicas)
	}
	available += u.Available
	verb, done, pods := "rolling", "updated", "new pods"
	if back {
		verb, done, pods = "rolling back to revision "+p.stable, "back", "its pods"
	}
	switch {
	case p.spec.Paused:
		p.setPhase(v1alpha1.RolloutPhasePaused, "paused by spec.paused: %d/%d pods updated, %d available", min(newWant, n), n, available)
	case p.st.PauseReason == v1alpha1.PauseReasonInconclusive:
		// message set by inconclusive
	case p.st.PauseReason == v1alpha1.PauseReasonStep:
		at := p.st.StepStartedAt.Add(pause)
		p.st.LastProgressAt = nil
		p.setPhase(v1alpha1.RolloutPhasePaused, "%s: %d/%d pods %s, %d available; next batch at %s (pause %s between batches)",
			verb, min(newWant, n), n, done, available, at.UTC().Format("15:04:05 UTC"), shortDuration(pause))
	default:
		msg := fmt.Sprintf("%s: %d/%d pods %s, %d available (maxSurge %d, maxUnavailable %d)", verb, min(newWant, n), n, done, available, surge, unavailable)
		if u.Available < newWant {
			msg += fmt.Sprintf("; waiting for %s (%d/%d available)", pods, u.Available, newWant)
		}
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "%s", msg)
		if u.Available < newWant && !back && p.podProgress(u.Available, newWant, "revision "+p.updated) {
			p.rollingAborted(r)
		}
	}
}

// rollingService points the Service at the one revision that serves, or at every revision
// (the empty value) while more than one has ready pods.
func (p *planner) rollingService(r *v1alpha1.RollingStrategy, old []*Revision, oldWant []int32) {
	if r.Service == "" {
		return
	}
	var serving []string
	if p.readyPods(p.updated) > 0 && p.action(p.updated).Replicas > 0 {
		serving = append(serving, p.updated)
	}
	for i, o := range old {
		if o.Ready > 0 && oldWant[i] > 0 {
			serving = append(serving, o.Hash)
		}
	}
	switch len(serving) {
	case 0:
		p.selectIfReady(r.Service, p.stable, p.updated)
	case 1:
		p.out.Selectors[r.Service] = serving[0]
	default:
		p.out.Selectors[r.Service] = ""
	}
}

// rollingWeights: the new revision's share of the ready pods the Service reaches (of all
// ready pods without a Service).
func (p *planner) rollingWeights(r *v1alpha1.RollingStrategy, old []*Revision, oldWant []int32) {
	newReady := p.readyPods(p.updated)
	var oldReady int32
	for i, o := range old {
		if oldWant[i] > 0 {
			oldReady += o.Ready
		}
	}
	if sel, ok := p.out.Selectors[r.Service]; ok && sel != "" {
		if sel == p.updated {
			oldReady = 0
		} else {
			newReady = 0
		}
	}
	w := traffic.Weight(newReady, newReady+oldReady)
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: w, Stable: 100 - w}
}

// rollingSteady: no roll in flight; the stable revision at full scale behind the Service.
func (p *planner) rollingSteady(r *v1alpha1.RollingStrategy) {
	p.steady()
	p.st.Step = ""
	if r.Service == "" {
		return
	}
	fallback := ""
	for h, rev := range p.revs {
		if h == p.stable || rev.Ready == 0 {
			continue
		}
		if f := p.readyPods(fallback); rev.Ready > f || (rev.Ready == f && h < fallback) {
			fallback = h
		}
	}
	p.selectIfReady(r.Service, p.stable, fallback)
}

// rollingAborted: the stable revision back to full scale with all traffic; the new
// revision keeps its pods for abortScaleDownDelaySeconds.
func (p *planner) rollingAborted(r *v1alpha1.RollingStrategy) {
	p.handledAll()
	p.scale(p.stable, p.replicas)
	for h, rev := range p.revs {
		if h != p.stable && h != p.updated && rev.ScaleDownAt == nil && rev.Replicas > 0 {
			p.scale(h, 0) // a superseded revision still draining
			p.event(false, v1alpha1.EventScaledDown, "Scaled down revision %s", h)
		}
	}
	p.scaleDownAfter(p.updated, seconds(r.AbortScaleDownDelaySeconds, 30))
	p.selectIfReady(r.Service, p.stable, p.updated)
	p.terminateUpdateRuns()
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	p.st.PauseReason = ""
	p.st.StepStartedAt = nil
	p.st.LastProgressAt = nil
	p.st.Step = ""
	p.setPhase(v1alpha1.RolloutPhaseDegraded, "%s; all traffic and replicas back on revision %s (retry with `kubectl stride retry %s`)",
		p.st.Abort.Message, p.stable, p.ro.Name)
}

// rollPods are the pods of one revision in a roll.
type rollPods struct {
	Replicas, Available, Ready int32
}

// defaultMaxSurge is the API default of maxSurge.
var defaultMaxSurge = intstr.FromString("25%")

// rollBounds resolves maxSurge (rounded up) and maxUnavailable (rounded down) against
// replicas, as a Deployment does; when both come out zero, maxUnavailable is 1.
func rollBounds(r *v1alpha1.RollingStrategy, replicas int32) (surge, unavailable int32) {
	ms := r.MaxSurge
	if ms == nil {
		ms = &defaultMaxSurge
	}
	surge = scaledValue(ms, replicas, true, 0)
	unavailable = min(scaledValue(r.MaxUnavailable, replicas, false, 0), replicas)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// rollSettled reports whether the current batch is done: the new revision's pods are
// available and the old revisions are down to what it does not yet replace, with their
// removed pods gone.
func rollSettled(replicas int32, nw rollPods, old []rollPods) bool {
	want := min(nw.Replicas, replicas)
	if nw.Available < want {
		return false
	}
	var oldReplicas int32
	for _, o := range old {
		if o.Ready > o.Replicas {
			return false
		}
		oldReplicas += o.Replicas
	}
	return oldReplicas <= max(0, replicas-want)
}

// rollPass decides the scales of one pass of a roll: the new revision's and each old
// revision's (old in the order they give up pods). With start, a new batch begins: the new
// revision grows by surge + unavailable pods, bounded by replicas and by replicas + surge
// pods in total. With full, the new revision goes to replicas at once. In every pass the
// old revisions shrink toward what the new revision replaces: first pods that are not
// available, then available ones only as far as available pods stay at or above
// replicas - unavailable.
func rollPass(replicas, surge, unavailable int32, nw rollPods, old []rollPods, start, full bool) (int32, []int32) {
	newWant := min(nw.Replicas, replicas)
	grow := newWant
	switch {
	case full:
		grow = replicas
	case start:
		grow = min(replicas, newWant+surge+unavailable)
	}
	oldWant := make([]int32, len(old))
	var oldTotal, available int32
	for i, o := range old {
		oldWant[i] = o.Replicas
		oldTotal += o.Replicas
		available += min(o.Available, o.Replicas)
	}
	available += min(nw.Available, newWant)

	remove := max(0, oldTotal-max(0, replicas-grow))
	for i, o := range old {
		d := min(remove, oldWant[i]-min(o.Available, oldWant[i]))
		oldWant[i] -= d
		remove -= d
	}
	budget := max(0, available-(replicas-unavailable))
	for i := range old {
		d := min(remove, budget, oldWant[i])
		oldWant[i] -= d
		remove -= d
		budget -= d
	}

	var oldLeft int32
	for _, w := range oldWant {
		oldLeft += w
	}
	if full {
		return replicas, oldWant
	}
	return max(newWant, min(grow, replicas+surge-oldLeft)), oldWant
}
