package plan

import (
	"fmt"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// blueGreen plans the blue-green strategy.
//
// The new revision runs beside the stable one. The preview Service selects the newest
// revision once it has ready pods; the active Service keeps selecting the stable revision
// until the switch, which happens only when
//   - the pre-promotion analysis (if any) succeeded, was accepted after an inconclusive
//     result, or was skipped by `promote --full`;
//   - the promotion was given: at once (autoPromotionEnabled, the default), autoPromotionSeconds
//     after the preview became ready, or by `kubectl stride promote`;
//   - the new revision is fully available at full scale (a previewReplicaCount below replicas
//     is scaled to full once the two gates above are open).
//
// After the switch the post-promotion analysis (if any) runs; until it succeeds the previous
// revision stays the stable one and keeps all its pods, so a failure switches the active
// Service back at once. On success the new revision becomes stable and the previous one is
// scaled to zero after scaleDownDelaySeconds.
//
// All state lives in the status, so a restarted operator carries on where it was:
//   - activeRevision is the revision the active Service is meant to select; equal to
//     updatedRevision once switched. (Should that revision lose every ready pod, the Service
//     itself falls back to the other revision, as it never selects a revision without ready
//     pods while another has some.)
//   - stepStartedAt is when the preview became fully available at its preview scale (the
//     autoPromotionSeconds clock), or when a promote request arrived before that.
//   - pauseReason BlueGreenPause: the promotion is not given yet; InconclusiveAnalysis: an
//     analysis needs a person. Once stepStartedAt is set, an empty pauseReason means the
//     promotion was given.
//   - promotedAt is when the active Service switched. Set before the switch, it records a
//     `promote --full` that waits only for pods; it is re-stamped at the switch.
//   - An inconclusive pre-promotion run that status already showed as inconclusive, with no
//     pause for it any more, was accepted by a promote.
func (p *planner) blueGreen() {
	b := p.spec.Strategy.BlueGreen
	p.st.StepCount = 0
	p.st.Step = ""
	p.st.CurrentStepIndex = nil
	if p.first() || p.updated == p.stable {
		p.blueGreenSteady(b)
		return
	}

	if p.ro.Status.UpdatedRevision != p.updated {
		// A new update: its preview has not been ready yet.
		p.st.StepStartedAt = nil
		p.st.ActiveRevision = p.stable
	}
	if p.retryIfRequested() {
		p.st.StepStartedAt = nil
		p.st.PromotedAt = nil
		p.st.ActiveRevision = p.stable
	}
	if p.st.Abort == nil && p.abort != "" {
		p.handled(&p.abort, &p.st.HandledRequests.Abort)
		p.doAbort(v1alpha1.ReasonAborted, fmt.Sprintf("aborted by %s", p.requestedBy()))
	}
	if p.st.Abort != nil {
		p.blueGreenAborted(b)
		return
	}
	promote, full := p.promote != "", p.promoteFull != ""
	p.handledAll()

	if p.st.ActiveRevision == p.updated {
		if full {
			p.event(false, v1alpha1.EventPromoted, "Fully promoted by %s: post-promotion analysis skipped", p.requestedBy())
		}
		p.blueGreenSwitched(b, promote, full)
		return
	}
	p.blueGreenPreview(b, promote, full)
}

// previewScale is the new revision's scale before promotion.
func (p *planner) previewScale(b *v1alpha1.BlueGreenStrategy) int32 {
	return min(ptrOr(b.PreviewReplicaCount, p.replicas), p.replicas)
}

// previewName names the preview revision's Deployment, for messages.
func (p *planner) previewName() string {
	return p.ro.Name + "-" + p.updated
}

// blueGreenPreview: the new revision runs as the preview; the active Service is on the
// stable revision.
func (p *planner) blueGreenPreview(b *v1alpha1.BlueGreenStrategy, promote, full bool) {
	n := p.replicas
	u := p.revs[p.updated]
	previewWant := p.previewScale(b)
	manual := !ptrOr(b.AutoPromotionEnabled, true)
	autoWait := seconds(b.AutoPromotionSeconds, 0)

	// The preview is fully available at its scale: the wait for promotion starts.
	ready := u.Available >= previewWant
	if ready && p.st.StepStartedAt == nil {
		p.st.StepStartedAt = p.nowTime()
		p.st.LastProgressAt = nil
		switch {
		case manual:
			p.st.PauseReason = v1alpha1.PauseReasonBlueGreen
			p.event(false, v1alpha1.EventPaused, "Preview %s ready (%d/%d); waiting for promotion", p.previewName(), u.Available, previewWant)
		case autoWait > 0:
			p.st.PauseReason = v1alpha1.PauseReasonBlueGreen
			p.event(false, v1alpha1.EventPaused, "Preview %s ready (%d/%d); promoting automatically in %s", p.previewName(), u.Available, previewWant, shortDuration(autoWait))
		}
	}

	// Requests: a promote gives the promotion (and accepts an inconclusive analysis);
	// promote --full also skips the analyses.
	if promote || full {
		if p.st.StepStartedAt == nil {
			p.st.StepStartedAt = p.nowTime()
		}
		p.st.PauseReason = ""
		if full {
			p.st.PromotedAt = p.nowTime()
			p.event(false, v1alpha1.EventPromoted, "Fully promoted by %s: pre- and post-promotion analyses skipped", p.requestedBy())
		} else {
			p.event(false, v1alpha1.EventPromoted, "Promoted by %s", p.requestedBy())
		}
	}
	fullPending := p.st.PromotedAt != nil

	// Automatic promotion after autoPromotionSeconds (wall time; at resume when it ended
	// during spec.paused).
	if !manual && p.st.PauseReason == v1alpha1.PauseReasonBlueGreen && p.st.StepStartedAt != nil {
		at := p.st.StepStartedAt.Add(autoWait)
		switch {
		case p.spec.Paused:
		case !p.now.Before(at):
			p.st.PauseReason = ""
			p.event(false, v1alpha1.EventPromoted, "Promoted automatically %s after the preview was ready", shortDuration(autoWait))
		default:
			p.requeue(at.Sub(p.now))
		}
	}

	preOK, preRun := p.prePromotion(b, ready, promote || full, fullPending)
	if p.st.Abort != nil {
		p.blueGreenAborted(b)
		return
	}
	released := p.st.StepStartedAt != nil && p.st.PauseReason == ""

	want := previewWant
	if preOK && released {
		want = n
	}
	if p.spec.Paused {
		// Stopped where it is: neither grow nor shrink the preview.
		want = min(max(u.Replicas, previewWant), n)
	}
	p.scale(p.stable, n)
	p.scale(p.updated, want)

	if preOK && released && !p.spec.Paused && u.Available >= n {
		p.st.ActiveRevision = p.updated
		p.st.PromotedAt = p.nowTime()
		p.st.PauseReason = ""
		p.st.LastProgressAt = nil
		p.event(false, v1alpha1.EventPromoted, "Active Service %s switched from revision %s to %s", b.ActiveService, p.stable, p.updated)
		p.blueGreenSwitched(b, false, fullPending)
		return
	}

	p.st.ActiveRevision = p.stable
	p.selectIfReady(b.ActiveService, p.stable, p.updated)
	p.blueGreenPreviewService(b)
	p.blueGreenWeights(b)

	// Phase and message.
	if p.st.PauseReason == v1alpha1.PauseReasonInconclusive {
		return // set by inconclusive
	}
	name := p.previewName()
	switch {
	case p.spec.Paused:
		p.setPhase(v1alpha1.RolloutPhasePaused, "paused by spec.paused: preview %s %d/%d available", name, u.Available, want)
		return
	case u.Available < want:
		what := "preview " + name
		if want > previewWant || (preOK && released) {
			p.setPhase(v1alpha1.RolloutPhaseProgressing, "promoting %s: waiting for pods at full scale (%d/%d available)", name, u.Available, want)
			what = "promoted revision " + name
		} else {
			p.setPhase(v1alpha1.RolloutPhaseProgressing, "preview %s: waiting for pods (%d/%d available)", name, u.Available, want)
		}
		if p.podProgress(u.Available, want, what) {
			p.blueGreenAborted(b)
		}
		return
	}
	p.st.LastProgressAt = nil
	msg := fmt.Sprintf("preview %s ready (%d/%d)", name, u.Available, want)
	if !preOK && preRun != "" {
		msg += fmt.Sprintf("; pre-promotion analysis %s running", preRun)
	}
	switch {
	case p.st.PauseReason == v1alpha1.PauseReasonBlueGreen && manual:
		p.setPhase(v1alpha1.RolloutPhasePaused, "%s; waiting for promotion (kubectl stride promote %s)", msg, p.ro.Name)
	case p.st.PauseReason == v1alpha1.PauseReasonBlueGreen:
		at := p.st.StepStartedAt.Add(autoWait)
		p.setPhase(v1alpha1.RolloutPhasePaused, "%s; promoting automatically at %s", msg, at.UTC().Format("15:04:05 UTC"))
	default:
		p.setPhase(v1alpha1.RolloutPhaseProgressing, "%s; switching active when it passes", msg)
	}
}

// prePromotion follows the pre-promotion analysis. It reports whether the switch may go
// ahead as far as the analysis is concerned, and the name of a run still measuring.
func (p *planner) prePromotion(b *v1alpha1.BlueGreenStrategy, ready, accept, skip bool) (bool, string) {
	a := b.PrePromotionAnalysis
	if a == nil {
		return true, ""
	}
	name := RunName(p.ro.Name, p.updated, v1alpha1.AnalysisKindPrePromotion, 0, p.st.Attempt)
	existing, exists := p.in.Runs[name]
	if skip {
		if exists {
			p.terminateRun(v1alpha1.AnalysisKindPrePromotion, 0)
		}
		if p.st.PauseReason == v1alpha1.PauseReasonInconclusive {
			p.st.PauseReason = ""
		}
		return true, ""
	}
	if !exists && !ready {
		return false, "" // starts once the preview is ready
	}
	if exists && existing.Terminating {
		return true, "" // skipped by promote --full
	}
	r := p.ensureRun(v1alpha1.AnalysisKindPrePromotion, 0, a)
	switch r.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		if !p.seenAs(name, v1alpha1.AnalysisPhaseSuccessful) {
			p.event(false, v1alpha1.EventAnalysisPassed, "Analysis %s passed", name)
		}
		return true, ""
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		p.analysisFailed(r)
		return false, ""
	case v1alpha1.AnalysisPhaseInconclusive:
		switch {
		case accept:
			p.st.PauseReason = ""
			p.event(false, v1alpha1.EventAnalysisPassed, "Inconclusive analysis %s accepted by %s", name, p.requestedBy())
			return true, ""
		case p.st.PauseReason != v1alpha1.PauseReasonInconclusive && p.seenAs(name, v1alpha1.AnalysisPhaseInconclusive):
			return true, "" // accepted in an earlier pass
		}
		p.inconclusive(r)
		return false, ""
	}
	return false, name
}

// seenAs reports whether the last status showed a run of the update in a phase.
func (p *planner) seenAs(name string, phase v1alpha1.AnalysisPhase) bool {
	for _, r := range p.ro.Status.AnalysisRuns {
		if r.Name == name {
			return r.Phase == phase
		}
	}
	return false
}

// blueGreenSwitched: the active Service is on the new revision; the previous revision keeps
// all its pods until the post-promotion analysis passed.
func (p *planner) blueGreenSwitched(b *v1alpha1.BlueGreenStrategy, promote, full bool) {
	n := p.replicas
	p.scale(p.stable, n)
	p.scale(p.updated, n)
	p.st.ActiveRevision = p.updated
	p.st.PauseReason = pauseUnless(p.st.PauseReason, v1alpha1.PauseReasonInconclusive)
	p.st.LastProgressAt = nil
	p.selectIfReady(b.ActiveService, p.updated, p.stable)
	p.blueGreenPreviewService(b)
	p.blueGreenWeights(b)

	if full || b.PostPromotionAnalysis == nil {
		p.terminateRun(v1alpha1.AnalysisKindPostPromotion, 0)
		p.completeBlueGreen(b)
		return
	}
	r := p.ensureRun(v1alpha1.AnalysisKindPostPromotion, 0, b.PostPromotionAnalysis)
	switch r.Phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		p.analysisFailed(r)
		p.blueGreenAborted(b)
		return
	case v1alpha1.AnalysisPhaseInconclusive:
		if !promote {
			p.inconclusive(r)
			return
		}
		p.event(false, v1alpha1.EventAnalysisPassed, "Inconclusive analysis %s accepted by %s", r.Name, p.requestedBy())
		p.st.PauseReason = ""
	case v1alpha1.AnalysisPhaseSuccessful:
		p.event(false, v1alpha1.EventAnalysisPassed, "Analysis %s passed", r.Name)
	default:
		if promote {
			p.event(false, v1alpha1.EventPromoted, "Promote by %s changes nothing while analysis %s runs (promote --full skips it)", p.requestedBy(), r.Name)
		}
		if p.spec.Paused {
			p.setPhase(v1alpha1.RolloutPhasePaused, "paused by spec.paused: switched active to %s; post-promotion analysis %s running", p.updated, r.Name)
		} else {
			p.setPhase(v1alpha1.RolloutPhaseProgressing, "switched active to %s; post-promotion analysis %s running", p.updated, r.Name)
		}
		return
	}
	if p.spec.Paused {
		p.setPhase(v1alpha1.RolloutPhasePaused, "paused by spec.paused: switched active to %s; post-promotion analysis %s done", p.updated, r.Name)
		return
	}
	p.completeBlueGreen(b)
}

// pauseUnless keeps a pause reason only if it is the one given.
func pauseUnless(cur, keep v1alpha1.PauseReason) v1alpha1.PauseReason {
	if cur == keep {
		return cur
	}
	return ""
}

// completeBlueGreen makes the new revision the stable one; the previous revision scales
// down after scaleDownDelaySeconds.
func (p *planner) completeBlueGreen(b *v1alpha1.BlueGreenStrategy) {
	old := p.stable
	p.stable = p.updated
	p.st.StableRevision = p.updated
	p.scaleDownAfter(old, seconds(b.ScaleDownDelaySeconds, 30))
	p.event(false, v1alpha1.EventRolloutCompleted, "Revision %s is now stable; revision %s scales down in %ds", p.updated, old, ptrOr(b.ScaleDownDelaySeconds, 30))
	p.blueGreenSteady(b)
}

// blueGreenSteady: no update in flight; both Services on the stable revision.
func (p *planner) blueGreenSteady(b *v1alpha1.BlueGreenStrategy) {
	fallback := p.ro.Status.ActiveRevision
	if fallback == p.stable || p.revs[fallback] == nil {
		fallback = ""
	}
	p.steady()
	p.st.Step = ""
	p.selectIfReady(b.ActiveService, p.stable, fallback)
	p.selectIfReady(b.PreviewService, p.stable, fallback)
	p.st.ActiveRevision = p.stable
	if sel, ok := p.out.Selectors[b.ActiveService]; ok {
		p.st.ActiveRevision = sel
	}
	p.st.PreviewRevision = p.st.ActiveRevision
	if b.PreviewService != "" {
		p.st.PreviewRevision = p.out.Selectors[b.PreviewService]
	}
}

// blueGreenAborted: the active Service on the stable revision at full scale; the new
// revision keeps its pods for abortScaleDownDelaySeconds. The preview Service stays on the
// aborted revision while it has pods, so it can be inspected, and moves to the stable
// revision when they go.
func (p *planner) blueGreenAborted(b *v1alpha1.BlueGreenStrategy) {
	p.handledAll()
	p.scale(p.stable, p.replicas)
	p.scaleDownAfter(p.updated, seconds(b.AbortScaleDownDelaySeconds, 30))
	p.selectIfReady(b.ActiveService, p.stable, p.updated)
	p.blueGreenPreviewService(b)
	p.terminateUpdateRuns()
	p.st.ActiveRevision = p.stable
	p.st.PromotedAt = nil
	p.st.StepStartedAt = nil
	p.st.LastProgressAt = nil
	p.st.PauseReason = ""
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	p.setPhase(v1alpha1.RolloutPhaseDegraded, "%s; active Service on stable revision %s (retry with `kubectl stride retry %s`)",
		p.st.Abort.Message, p.stable, p.ro.Name)
}

// blueGreenPreviewService points the preview Service at the newest revision once it has
// ready pods and is not being scaled to zero; at the stable revision otherwise.
func (p *planner) blueGreenPreviewService(b *v1alpha1.BlueGreenStrategy) {
	going := false
	if a := p.actions[p.updated]; a != nil && a.Replicas == 0 {
		going = true
	}
	if going {
		p.selectIfReady(b.PreviewService, p.stable, p.updated)
	} else {
		p.selectIfReady(b.PreviewService, p.updated, p.stable)
	}
	p.st.PreviewRevision = p.updated
	if b.PreviewService != "" {
		p.st.PreviewRevision = p.out.Selectors[b.PreviewService]
	}
}

// blueGreenWeights: all traffic on the revision the active Service selects.
func (p *planner) blueGreenWeights(b *v1alpha1.BlueGreenStrategy) {
	if p.out.Selectors[b.ActiveService] == p.updated {
		p.st.Weights = &v1alpha1.TrafficWeights{Canary: 100, Stable: 0}
		return
	}
	p.st.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
}

// terminateUpdateRuns ends every run of the current attempt that still measures.
func (p *planner) terminateUpdateRuns() {
	for name, r := range p.in.Runs {
		if r.Revision == p.updated && !r.Phase.Completed() && !r.Terminating && p.runOfAttempt(name) {
			p.out.Runs = append(p.out.Runs, RunPlan{Action: RunTerminate, Name: name, Kind: r.Kind, Revision: r.Revision})
		}
	}
}

// podProgress applies the progress deadline while the updated revision's pods come up
// (want of them wanted, avail available). The deadline counts from the last change in the
// updated revision's available pods, or from when the wait began. It reports whether the
// update was aborted.
func (p *planner) podProgress(avail, want int32, what string) bool {
	wasPaused := p.ro.Status.Phase == v1alpha1.RolloutPhasePaused
	if avail != p.ro.Status.UpdatedAvailableReplicas || p.st.LastProgressAt == nil || wasPaused {
		p.st.LastProgressAt = p.nowTime()
	}
	deadline := seconds(p.spec.ProgressDeadlineSeconds, 600)
	since := p.now.Sub(p.st.LastProgressAt.Time)
	if since >= deadline {
		p.doAbort(v1alpha1.ReasonProgressDeadlineExceeded, fmt.Sprintf("no progress for %s: %s has %d/%d pods available", shortDuration(deadline), what, avail, want))
		return true
	}
	p.requeue(deadline - since)
	return false
}
