package plan

import (
	"fmt"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/traffic"
)

// canary plans the canary strategy.
//
// Without a traffic router the canary's traffic share is its share of ready pods:
// setWeight w scales the canary to ceil(w% of replicas) and the stable revision to the rest,
// with two guards:
//   - the stable revision keeps at least one pod until promotion, so the stable Service
//     always has an endpoint (setWeight: 100 therefore means replicas canary pods and one
//     stable pod);
//   - the total of available pods never drops below replicas - maxUnavailable (default 0):
//     a revision is only scaled down by as many pods as the other revision has available
//     above what it is asked for.
func (p *planner) canary() {
	c := p.spec.Strategy.Canary
	steps := c.Steps
	n := int32(len(steps))
	p.st.StepCount = n

	if p.first() || p.updated == p.stable {
		p.canarySteady(c)
		return
	}

	// An update is in flight.
	p.retryIfRequested()
	if p.st.Abort == nil && p.abort != "" {
		p.handled(&p.abort, &p.st.HandledRequests.Abort)
		p.doAbort(v1alpha1.ReasonAborted, fmt.Sprintf("aborted by %s", p.requestedBy()))
	}
	if p.st.Abort != nil {
		p.canaryAborted(c)
		return
	}

	i := min(max(ptrOr(p.st.CurrentStepIndex, 0), 0), n)
	if p.promoteFull != "" {
		p.handled(&p.promoteFull, &p.st.HandledRequests.PromoteFull)
		if i < n {
			p.event(false, v1alpha1.EventPromoted, "Fully promoted by %s: steps %d to %d and their analyses skipped", p.requestedBy(), i+1, n)
			i = n
			p.enterStep()
		}
		p.terminateRun(v1alpha1.AnalysisKindBackground, 0)
	}
	promoteNow := false
	if p.promote != "" {
		p.handled(&p.promote, &p.st.HandledRequests.Promote)
		if i < n || p.st.PauseReason != "" {
			promoteNow = true
			p.event(false, v1alpha1.EventPromoted, "Promoted by %s at step %d/%d", p.requestedBy(), min(i+1, n), n)
		}
	}
	p.handledAll()

	// Background analysis, from its starting step until promotion.
	if c.Analysis != nil && i >= ptrOr(c.Analysis.StartingStep, 0) && p.st.HandledRequests.PromoteFull == p.ro.Status.HandledRequests.PromoteFull {
		if p.background(&c.Analysis.RolloutAnalysis, &promoteNow) {
			p.canaryAborted(c)
			return
		}
	}

	// Steps: each pass moves through every step whose condition already holds.
	for i < n {
		done := p.canaryStep(c, i, &steps[i], promoteNow)
		promoteNow = false
		if p.st.Abort != nil {
			p.canaryAborted(c)
			return
		}
		if !done {
			break
		}
		p.event(false, v1alpha1.EventStepCompleted, "Step %d/%d (%s) completed", i+1, n, describeStep(&steps[i]))
		i++
		p.enterStep()
	}
	p.st.CurrentStepIndex = ptr(i)
	p.st.Step = fmt.Sprintf("%d/%d", min(i+1, n), n)
	if n == 0 {
		p.st.Step = ""
	}

	canaryWant, stableWant, weight := p.canaryScales(c, i)
	p.scale(p.updated, canaryWant)
	p.scale(p.stable, stableWant)
	p.canarySelectors(c, false)

	if i < n {
		p.canaryWeights()
		if p.st.PauseReason == "" && isScaleStep(&steps[i]) {
			p.waitingForPods(c, weight, canaryWant, stableWant)
		}
		return
	}

	// All steps done: the canary goes to full scale, then becomes the stable revision.
	u := p.revs[p.updated]
	if u.Available >= p.replicas && u.Replicas >= p.replicas {
		p.completeCanary(c)
		return
	}
	p.canaryWeights()
	p.waitingForPods(c, 100, canaryWant, stableWant)
}

// enterStep records the start of a step.
func (p *planner) enterStep() {
	p.st.StepStartedAt = p.nowTime()
	p.st.LastProgressAt = p.nowTime()
	p.st.PauseReason = ""
}

// canarySteady: no update in flight.
func (p *planner) canarySteady(c *v1alpha1.CanaryStrategy) {
	p.steady()
	p.out.Selectors[c.StableService] = p.stable
	if c.CanaryService != "" {
		p.out.Selectors[c.CanaryService] = p.stable
	}
	n := p.st.StepCount
	p.st.Step = ""
	if n > 0 {
		p.st.Step = fmt.Sprintf("%d/%d", n, n)
	}
}

// completeCanary makes the canary the stable revision.
func (p *planner) completeCanary(c *v1alpha1.CanaryStrategy) {
	old := p.stable
	p.stable = p.updated
	p.st.StableRevision = p.updated
	p.terminateRun(v1alpha1.AnalysisKindBackground, 0)
	p.scaleDownAfter(old, seconds(c.ScaleDownDelaySeconds, 30))
	p.event(false, v1alpha1.EventRolloutCompleted, "Revision %s is now stable; revision %s scales down in %ds", p.updated, old, ptrOr(c.ScaleDownDelaySeconds, 30))
	p.canarySteady(c)
}

// canaryAborted: all traffic on the stable revision at full scale; the canary keeps its
// pods for abortScaleDownDelaySeconds.
func (p *planner) canaryAborted(c *v1alpha1.CanaryStrategy) {
	p.handledAll()
	p.scale(p.stable, p.replicas)
	p.scaleDownAfter(p.updated, seconds(c.AbortScaleDownDelaySeconds, 30))
	p.canarySelectors(c, true)
	for name, r := range p.in.Runs {
		if r.Revision == p.updated && !r.Phase.Completed() && !r.Terminating && p.runOfAttempt(name) {
			p.out.Runs = append(p.out.Runs, RunPlan{Action: RunTerminate, Name: name, Kind: r.Kind, Revision: r.Revision})
		}
	}
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	p.st.PauseReason = ""
	i := ptrOr(p.st.CurrentStepIndex, 0)
	n := p.st.StepCount
	p.st.Step = ""
	if n > 0 {
		p.st.Step = fmt.Sprintf("%d/%d", min(i+1, n), n)
	}
	p.setPhase(v1alpha1.RolloutPhaseDegraded, "%s; all traffic on stable revision %s (retry with `kubectl stride retry %s`)",
		p.st.Abort.Message, p.stable, p.ro.Name)
}

// canarySelectors points the stable and canary Services. A Service never selects a
// revision with no ready pods while the other has some.
func (p *planner) canarySelectors(c *v1alpha1.CanaryStrategy, aborted bool) {
	p.selectIfReady(c.StableService, p.stable, p.updated)
	if aborted {
		p.selectIfReady(c.CanaryService, p.stable, p.updated)
		return
	}
	p.selectIfReady(c.CanaryService, p.updated, p.stable)
}

// canaryWeights reports the real traffic shares: the share of ready pods.
func (p *planner) canaryWeights() {
	cr, sr := p.readyPods(p.updated), p.readyPods(p.stable)
	w := traffic.Weight(cr, cr+sr)
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: w, Stable: 100 - w}
	if cr+sr == 0 {
		p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	}
}

// CanaryWeightAt is the traffic weight in force while step i is worked on: the last
// setWeight at or before it; 100 once all steps are done.
func CanaryWeightAt(steps []v1alpha1.CanaryStep, i int32) int32 {
	if int(i) >= len(steps) {
		return 100
	}
	var w int32
	for j := int32(0); j <= i; j++ {
		if steps[j].SetWeight != nil {
			w = *steps[j].SetWeight
		}
	}
	return w
}

// canaryScales computes the wanted replicas of canary and stable while step i is worked on
// (the rule is traffic.SplitReplicas).
func (p *planner) canaryScales(c *v1alpha1.CanaryStrategy, i int32) (canaryWant, stableWant, weight int32) {
	n := p.replicas
	weight = CanaryWeightAt(c.Steps, i)
	canaryWant = traffic.CeilPercent(weight, n)
	if int(i) < len(c.Steps) {
		for j := int32(0); j <= i; j++ {
			if s := c.Steps[j].SetCanaryScale; s != nil {
				switch {
				case s.Replicas != nil:
					canaryWant = *s.Replicas
				case s.Weight != nil:
					canaryWant = traffic.CeilPercent(*s.Weight, n)
				default:
					canaryWant = traffic.CeilPercent(weight, n)
				}
			}
		}
	} else {
		canaryWant = n
	}
	split := traffic.SplitReplicas(weight, n, canaryWant, scaledValue(c.MaxUnavailable, n, false, 0), traffic.Observed{
		CanaryReplicas:  p.revs[p.updated].Replicas,
		CanaryAvailable: p.avail(p.updated),
		StableAvailable: p.avail(p.stable),
	})
	return split.Canary, split.Stable, weight
}

// canaryStep evaluates step i. It reports whether the step is done.
func (p *planner) canaryStep(c *v1alpha1.CanaryStrategy, i int32, step *v1alpha1.CanaryStep, promoted bool) bool {
	n := int32(len(c.Steps))
	weight := CanaryWeightAt(c.Steps, i)
	switch {
	case step.SetWeight != nil || step.SetCanaryScale != nil:
		if promoted {
			return true
		}
		canaryWant, stableWant, _ := p.canaryScales(c, i)
		u := p.revs[p.updated]
		s := p.revs[p.stable]
		// Done when the weight is real: the canary's pods are available and the stable
		// revision is down to its share.
		if u.Available >= canaryWant && u.Replicas == canaryWant && s.Replicas == stableWant && s.Ready <= stableWant {
			if step.SetWeight != nil {
				p.event(false, v1alpha1.EventWeightChanged, "Canary weight set to %d%% (%d canary, %d stable pods)", weight, canaryWant, stableWant)
			}
			return true
		}
		return false

	case step.Pause != nil:
		if promoted {
			p.st.PauseReason = ""
			return true
		}
		if step.Pause.Duration == nil {
			if p.st.PauseReason != v1alpha1.PauseReasonStep {
				p.event(false, v1alpha1.EventPaused, "Paused at step %d/%d until promoted", i+1, n)
			}
			p.st.PauseReason = v1alpha1.PauseReasonStep
			p.setPhase(v1alpha1.RolloutPhasePaused, "canary at %d%%, paused until promoted (kubectl stride promote %s)", weight, p.ro.Name)
			return false
		}
		d := parseDuration(step.Pause.Duration)
		start := p.now
		if p.st.StepStartedAt != nil {
			start = p.st.StepStartedAt.Time
		}
		left := start.Add(d).Sub(p.now)
		if left <= 0 && !p.spec.Paused {
			p.st.PauseReason = ""
			return true
		}
		p.st.PauseReason = v1alpha1.PauseReasonStep
		if p.spec.Paused {
			p.setPhase(v1alpha1.RolloutPhasePaused, "canary at %d%%, paused by spec.paused at step %d/%d", weight, i+1, n)
			return false
		}
		p.requeue(left)
		p.setPhase(v1alpha1.RolloutPhasePaused, "canary at %d%%, paused for %s until %s", weight, shortDuration(d), start.Add(d).UTC().Format("15:04:05 UTC"))
		return false

	case step.Analysis != nil:
		r := p.ensureRun(v1alpha1.AnalysisKindStep, i, step.Analysis)
		if promoted {
			p.terminateRun(v1alpha1.AnalysisKindStep, i)
			p.st.PauseReason = ""
			return true
		}
		switch r.Phase {
		case v1alpha1.AnalysisPhaseSuccessful:
			p.st.PauseReason = ""
			p.event(false, v1alpha1.EventAnalysisPassed, "Analysis %s passed", r.Name)
			return true
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
			p.analysisFailed(r)
			return false
		case v1alpha1.AnalysisPhaseInconclusive:
			p.inconclusive(r)
			return false
		}
		p.st.PauseReason = ""
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "canary at %d%%, running analysis %s (step %d/%d)", weight, r.Name, i+1, n)
		return false
	}
	return true
}

// background follows the background analysis run. It reports whether the update was
// aborted.
func (p *planner) background(a *v1alpha1.RolloutAnalysis, promoted *bool) bool {
	name := RunName(p.ro.Name, p.updated, v1alpha1.AnalysisKindBackground, 0, p.st.Attempt)
	if r, ok := p.in.Runs[name]; ok && r.Phase == v1alpha1.AnalysisPhaseInconclusive && *promoted {
		// The person accepted the inconclusive result: measure afresh.
		p.out.Runs = append(p.out.Runs, RunPlan{Action: RunDelete, Name: name, Kind: r.Kind, Revision: r.Revision})
		p.st.PauseReason = ""
		*promoted = false
		return false
	}
	r := p.ensureRun(v1alpha1.AnalysisKindBackground, 0, a)
	switch r.Phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		p.analysisFailed(r)
		return true
	case v1alpha1.AnalysisPhaseInconclusive:
		p.inconclusive(r)
	}
	return false
}

// analysisFailed aborts the update because of a run.
func (p *planner) analysisFailed(r Run) {
	msg := r.Message
	if msg == "" {
		msg = string(r.Phase)
	}
	p.doAbort(v1alpha1.ReasonAnalysisFailed, fmt.Sprintf("analysis %s failed: %s", r.Name, msg))
	p.event(true, v1alpha1.EventAnalysisFailed, "Analysis %s: %s", r.Name, msg)
}

// inconclusive pauses for a person.
func (p *planner) inconclusive(r Run) {
	if p.st.PauseReason != v1alpha1.PauseReasonInconclusive {
		p.event(true, v1alpha1.EventPaused, "Analysis %s inconclusive, waiting for a person: %s", r.Name, r.Message)
	}
	p.st.PauseReason = v1alpha1.PauseReasonInconclusive
	p.setPhase(v1alpha1.RolloutPhasePaused, "analysis %s inconclusive (%s): promote to go on or abort to roll back", r.Name, r.Message)
}

// waitingForPods reports progress while pods come up and applies the progress deadline.
func (p *planner) waitingForPods(c *v1alpha1.CanaryStrategy, weight, canaryWant, stableWant int32) {
	u := p.revs[p.updated]
	wasPaused := p.ro.Status.Phase == v1alpha1.RolloutPhasePaused
	if u.Available != p.ro.Status.UpdatedAvailableReplicas || p.st.LastProgressAt == nil || p.spec.Paused != wasPaused {
		// progress, or a pause starting or ending: the deadline counts from now
		p.st.LastProgressAt = p.nowTime()
	}
	if p.spec.Paused {
		p.setPhase(v1alpha1.RolloutPhasePaused, "paused by spec.paused: canary %d/%d available, stable %d/%d", u.Available, canaryWant, p.avail(p.stable), stableWant)
		return
	}
	switch s := p.revs[p.stable]; {
	case u.Available < canaryWant:
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "canary at %d%%: waiting for canary pods (%d/%d available)", weight, u.Available, canaryWant)
	case s != nil && s.Ready > stableWant:
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "canary at %d%%: scaling stable down to %d pods (%d ready)", weight, stableWant, s.Ready)
	default:
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "canary at %d%%: waiting for stable pods (%d/%d available)", weight, p.avail(p.stable), stableWant)
	}
	deadline := seconds(p.spec.ProgressDeadlineSeconds, 600)
	since := p.now.Sub(p.st.LastProgressAt.Time)
	if since >= deadline {
		p.doAbort(v1alpha1.ReasonProgressDeadlineExceeded, fmt.Sprintf("no progress for %s: canary has %d/%d pods available", shortDuration(deadline), u.Available, canaryWant))
		p.canaryAborted(c)
		return
	}
	p.requeue(deadline - since)
}

func isScaleStep(s *v1alpha1.CanaryStep) bool {
	return s.SetWeight != nil || s.SetCanaryScale != nil
}

// describeStep names a step in words.
func describeStep(s *v1alpha1.CanaryStep) string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d%%", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return fmt.Sprintf("pause %s", *s.Pause.Duration)
	case s.Pause != nil:
		return "pause until promoted"
	case s.Analysis != nil:
		names := ""
		for i, t := range s.Analysis.Templates {
			if i > 0 {
				names += ", "
			}
			names += t.Name
		}
		return "analysis " + names
	case s.SetCanaryScale != nil:
		switch {
		case s.SetCanaryScale.Replicas != nil:
			return fmt.Sprintf("setCanaryScale %d replicas", *s.SetCanaryScale.Replicas)
		case s.SetCanaryScale.Weight != nil:
			return fmt.Sprintf("setCanaryScale %d%%", *s.SetCanaryScale.Weight)
		}
		return "setCanaryScale matchTrafficWeight"
	}
	return "step"
}
