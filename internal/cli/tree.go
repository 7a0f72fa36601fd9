package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// treeOptions tune the tree.
type treeOptions struct {
	style style
	// countdown shows time left ("12s left"); off, the text changes only when the state does.
	countdown bool
}

// labelWidth is the width of "Name:" and its padding.
const labelWidth = 17

// renderTree draws a Rollout, its current step, weights, revisions and analysis runs.
func renderTree(v *rolloutView, now time.Time, o treeOptions) string {
	ro := v.Rollout
	st := o.style
	var b strings.Builder
	field := func(indent int, label, value string) {
		if value == "" {
			return
		}
		l := strings.Repeat(" ", indent) + label + ":"
		fmt.Fprintf(&b, "%-*s%s\n", labelWidth, l, value)
	}

	field(0, "Name", ro.Name)
	field(0, "Namespace", ro.Namespace)
	status := st.symbol(phaseMark(ro.Status.Phase))
	if status != "" {
		status += " "
	}
	status += st.paint(phaseMark(ro.Status.Phase).color, phaseText(ro))
	if r := statusReasons(ro); len(r) > 0 {
		status += "   (" + strings.Join(r, ", ") + ")"
	}
	field(0, "Status", status)
	field(0, "Strategy", strategyName(ro))
	switch strategyName(ro) {
	case strategyCanary:
		canaryFields(v, now, o, field)
	case strategyBlueGreen:
		blueGreenFields(v, now, o, field)
	case strategyRolling:
		rollingFields(v, now, o, field)
	}
	field(0, "Replicas", fmt.Sprintf("desired %d  current %d  updated %d  ready %d  available %d",
		desiredReplicas(ro), ro.Status.Replicas, ro.Status.UpdatedReplicas, ro.Status.ReadyReplicas, ro.Status.AvailableReplicas))

	if lines := revisionLines(v, now, o); len(lines) > 0 {
		b.WriteString("Revisions:\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	if lines := runLines(v, st); len(lines) > 0 {
		b.WriteString("AnalysisRuns:\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	if a := ro.Status.Abort; a != nil {
		field(0, "Aborted", fmt.Sprintf("%s %s ago (revision %s): %s", a.Reason, age(a.At, now), a.Revision, a.Message))
	}
	field(0, "Conditions", conditionsText(ro.Status.Conditions))
	field(0, "Message", ro.Status.Message)
	return b.String()
}

type fieldFunc func(indent int, label, value string)

func canaryFields(v *rolloutView, now time.Time, o treeOptions, field fieldFunc) {
	ro := v.Rollout
	if n := stepCount(ro); n > 0 {
		field(2, "Step", stepText(ro)+"  "+canaryStepDetail(v, now, o))
	}
	if w := ro.Status.Weights; w != nil {
		field(2, "Weights", fmt.Sprintf("canary %d%%  stable %d%%", w.Canary, w.Stable))
	}
	c := ro.Spec.Strategy.Canary
	svc := "stable " + c.StableService
	if c.CanaryService != "" {
		svc += "  canary " + c.CanaryService
	}
	field(2, "Services", svc)
}

// canaryStepDetail says what the current step does or waits for.
func canaryStepDetail(v *rolloutView, now time.Time, o treeOptions) string {
	ro := v.Rollout
	steps := ro.Spec.Strategy.Canary.Steps
	i, ok := currentStep(ro)
	switch {
	case aborted(ro):
		if ok && int(i) < len(steps) {
			return stepDescription(&steps[i]) + ", aborted"
		}
		return "aborted"
	case !ok || (ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && !inFlight(ro)):
		return "complete"
	case int(i) >= len(steps):
		return "all steps done, promoting the canary to full scale"
	}
	step := &steps[i]
	desc := stepDescription(step)
	switch {
	case step.SetWeight != nil || step.SetCanaryScale != nil:
		if d := revisionByHash(v, ro.Status.UpdatedRevision); d != nil {
			want := int32(0)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			if d.Status.AvailableReplicas < want {
				desc += fmt.Sprintf(", waiting for pods (%d/%d available)", d.Status.AvailableReplicas, want)
			}
		}
	case step.Pause != nil && step.Pause.Duration == nil:
		desc = "pause, waiting for promote"
	case step.Pause != nil:
		left, known := pauseLeft(ro, step.Pause.Duration, now)
		switch {
		case ro.Spec.Paused:
			desc += ", held by spec.paused"
		case known && o.countdown && left > 0:
			desc += ", " + human(left) + " left"
		case known && left <= 0:
			desc += ", ending"
		}
	case step.Analysis != nil:
		run := stepRun(ro, i, v.Runs)
		switch {
		case ro.Status.PauseReason == v1alpha1.PauseReasonInconclusive:
			desc += ", inconclusive: promote to go on or abort"
		case run == nil:
			desc += ", starting"
		default:
			if p := runProgress(run); p != "" {
				desc = "analysis " + p
			}
		}
	}
	return desc
}

// stepRun finds the AnalysisRun of step i in the Rollout's status.
func stepRun(ro *v1alpha1.Rollout, i int32, runs map[string]*v1alpha1.AnalysisRun) *v1alpha1.AnalysisRun {
	suffix := fmt.Sprintf("-step%d", i+1)
	var found *v1alpha1.AnalysisRun
	for _, r := range ro.Status.AnalysisRuns {
		if r.Kind != v1alpha1.AnalysisKindStep {
			continue
		}
		run := runs[r.Name]
		if run == nil {
			continue
		}
		if strings.Contains(r.Name, suffix) || found == nil {
			found = run
		}
	}
	return found
}

// runProgress is "success-rate 2/5 measurements" for each metric of a run.
func runProgress(run *v1alpha1.AnalysisRun) string {
	var parts []string
	for _, m := range run.Spec.Metrics {
		res := metricResult(run, m.Name)
		count := int32(0)
		if res != nil {
			count = res.Count
		}
		parts = append(parts, m.Name+" "+measurementCount(count, &m))
	}
	return strings.Join(parts, ", ")
}

// measurementCount is "2/5 measurements", or "2 measurements" for a metric measured until
// the update ends.
func measurementCount(count int32, m *v1alpha1.Metric) string {
	noun := "measurements"
	switch {
	case m.Count != nil:
		if *m.Count == 1 {
			noun = "measurement"
		}
		return fmt.Sprintf("%d/%d %s", count, *m.Count, noun)
	case m.Interval == nil:
		return fmt.Sprintf("%d/1 measurement", count)
	}
	if count == 1 {
		noun = "measurement"
	}
	return fmt.Sprintf("%d %s", count, noun)
}

func metricResult(run *v1alpha1.AnalysisRun, name string) *v1alpha1.MetricResult {
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Name == name {
			return &run.Status.MetricResults[i]
		}
	}
	return nil
}

func revisionByHash(v *rolloutView, hash string) *appsv1.Deployment {
	if hash == "" {
		return nil
	}
	for i := range v.Revisions {
		if revisionHash(&v.Revisions[i]) == hash {
			return &v.Revisions[i]
		}
	}
	return nil
}

// revisionLabel is "5d8f7c9b4 (rev 2)".
func revisionLabel(v *rolloutView, hash string) string {
	if hash == "" {
		return ""
	}
	if d := revisionByHash(v, hash); d != nil && revisionNumber(d) > 0 {
		return fmt.Sprintf("%s (rev %d)", hash, revisionNumber(d))
	}
	return hash
}

func blueGreenFields(v *rolloutView, now time.Time, o treeOptions, field fieldFunc) {
	ro := v.Rollout
	b := ro.Spec.Strategy.BlueGreen
	st := ro.Status
	active := revisionLabel(v, st.ActiveRevision)
	if active == "" {
		active = "(none yet)"
	}
	field(2, "Active", active+"   service "+b.ActiveService)
	if b.PreviewService != "" || st.PreviewRevision != "" {
		preview := revisionLabel(v, st.PreviewRevision)
		if preview == "" {
			preview = "(none)"
		}
		if b.PreviewService != "" {
			preview += "   service " + b.PreviewService
		}
		field(2, "Preview", preview)
	}
	field(2, "Promotion", blueGreenPromotion(v, now, o))
}

// blueGreenPromotion says where a blue-green update stands.
func blueGreenPromotion(v *rolloutView, now time.Time, o treeOptions) string {
	ro := v.Rollout
	b := ro.Spec.Strategy.BlueGreen
	st := ro.Status
	switch {
	case aborted(ro):
		return "aborted"
	case !inFlight(ro):
		if st.PromotedAt != nil {
			return "done, promoted " + age(*st.PromotedAt, now) + " ago"
		}
		return "nothing in flight"
	case st.PromotedAt != nil:
		if r := runOfKind(ro, v1alpha1.AnalysisKindPostPromotion, v.Runs); r != nil {
			return "promoted " + age(*st.PromotedAt, now) + " ago, post-promotion analysis " + runProgress(r)
		}
		return "promoted " + age(*st.PromotedAt, now) + " ago"
	}
	if r := runOfKind(ro, v1alpha1.AnalysisKindPrePromotion, v.Runs); r != nil && !r.Status.Phase.Completed() {
		return "pre-promotion analysis " + runProgress(r)
	}
	if st.PauseReason == v1alpha1.PauseReasonInconclusive {
		return "analysis inconclusive: promote to go on or abort"
	}
	if b.AutoPromotionEnabled != nil && !*b.AutoPromotionEnabled {
		return "waiting for promote (auto-promotion disabled)"
	}
	if b.AutoPromotionSeconds != nil && *b.AutoPromotionSeconds > 0 && st.StepStartedAt != nil && st.PauseReason == v1alpha1.PauseReasonBlueGreen {
		d := v1alpha1.Duration(fmt.Sprintf("%ds", *b.AutoPromotionSeconds))
		if left, ok := pauseLeft(ro, &d, now); ok && left > 0 && o.countdown {
			return "automatic in " + human(left)
		}
		return fmt.Sprintf("automatic after %ds", *b.AutoPromotionSeconds)
	}
	return "automatic when the preview is ready"
}

// runOfKind is the last run of a kind named in the Rollout's status.
func runOfKind(ro *v1alpha1.Rollout, kind v1alpha1.AnalysisKind, runs map[string]*v1alpha1.AnalysisRun) *v1alpha1.AnalysisRun {
	var found *v1alpha1.AnalysisRun
	for _, r := range ro.Status.AnalysisRuns {
		if r.Kind == kind && runs[r.Name] != nil {
			found = runs[r.Name]
		}
	}
	return found
}

func rollingFields(v *rolloutView, now time.Time, o treeOptions, field fieldFunc) {
	ro := v.Rollout
	r := ro.Spec.Strategy.Rolling
	bounds := ""
	if r.MaxSurge != nil {
		bounds += "maxSurge " + r.MaxSurge.String()
	}
	if r.MaxUnavailable != nil {
		if bounds != "" {
			bounds += ", "
		}
		bounds += "maxUnavailable " + r.MaxUnavailable.String()
	}
	progress := fmt.Sprintf("%d/%d pods updated", ro.Status.UpdatedReplicas, desiredReplicas(ro))
	if bounds != "" {
		progress += "   (" + bounds + ")"
	}
	field(2, "Progress", progress)
	if r.PauseBetweenBatches != nil && inFlight(ro) && ro.Status.PauseReason != "" {
		p := "between batches " + string(*r.PauseBetweenBatches)
		if left, ok := pauseLeft(ro, r.PauseBetweenBatches, now); ok && left > 0 && o.countdown {
			p += ", " + human(left) + " left"
		}
		field(2, "Pause", p)
	}
	if r.Service != "" {
		field(2, "Service", r.Service)
	}
}

// revisionLines lists the revision Deployments: name, number and role, ready pods, images.
func revisionLines(v *rolloutView, now time.Time, o treeOptions) []string {
	st := o.style
	var rows [][]cell
	for i := range v.Revisions {
		d := &v.Revisions[i]
		role := revisionRole(v.Rollout, revisionHash(d))
		m := revisionMark(role, d)
		name := d.Name + " (" + role + ")"
		if n := revisionNumber(d); n > 0 {
			name = fmt.Sprintf("%s (rev %d, %s)", d.Name, n, role)
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		ready := fmt.Sprintf("%d/%d ready", d.Status.ReadyReplicas, want)
		switch {
		case want == 0 && d.Status.Replicas == 0:
			ready = "scaled down"
		case want == 0:
			ready = fmt.Sprintf("scaling down (%d ready)", d.Status.ReadyReplicas)
		}
		var images []string
		for _, c := range d.Spec.Template.Spec.Containers {
			images = append(images, c.Image)
		}
		note := ""
		if at, err := time.Parse(time.RFC3339, d.Annotations[v1alpha1.AnnotationScaleDownAt]); err == nil && want > 0 {
			if o.countdown && at.After(now) {
				note = "scale-down in " + human(at.Sub(now))
			} else {
				note = "scale-down at " + at.UTC().Format("15:04:05 UTC")
			}
		}
		rows = append(rows, []cell{
			{text: st.plainBullet(m) + name, raw: st.bullet(m) + st.paint(roleColor(role), name)},
			{text: ready},
			{text: strings.Join(images, ","), color: colorBlue},
			{text: note, color: colorGray},
		})
	}
	if len(rows) == 0 {
		return nil
	}
	return st.alignRows(rows, "  ", 3)
}

func roleColor(role string) string {
	switch role {
	case "aborted":
		return colorRed
	case "old":
		return colorGray
	}
	return colorNone
}

// runLines lists the AnalysisRuns named in the Rollout's status, with the last value of
// each metric.
func runLines(v *rolloutView, st style) []string {
	var rows [][]cell
	var lines []string
	flush := func() {
		lines = append(lines, st.alignRows(rows, "  ", 3)...)
		rows = nil
	}
	for _, ref := range v.Rollout.Status.AnalysisRuns {
		run := v.Runs[ref.Name]
		phase := ref.Phase
		if run != nil && run.Status.Phase != "" {
			phase = run.Status.Phase
		}
		if phase == "" {
			phase = v1alpha1.AnalysisPhasePending
		}
		m := analysisMark(phase)
		var metrics []string
		if run != nil {
			metrics = metricSummaries(run)
		}
		first := ""
		if len(metrics) == 1 {
			first = metrics[0]
		}
		rows = append(rows, []cell{
			{text: st.plainBullet(m) + ref.Name, raw: st.bullet(m) + ref.Name},
			{text: string(ref.Kind)},
			{text: string(phase), color: m.color},
			{text: first},
		})
		if len(metrics) > 1 {
			flush()
			for _, s := range metrics {
				lines = append(lines, "      "+s)
			}
		}
	}
	flush()
	return lines
}

// metricSummaries is "success-rate 0.998 (5/5)" for each metric: the last value, the
// measurements taken, and failures if any.
func metricSummaries(run *v1alpha1.AnalysisRun) []string {
	var out []string
	for _, m := range run.Spec.Metrics {
		res := metricResult(run, m.Name)
		if res == nil {
			out = append(out, fmt.Sprintf("%s (%s)", m.Name, measurementCount(0, &m)))
			continue
		}
		s := m.Name
		if n := len(res.Measurements); n > 0 {
			last := res.Measurements[n-1]
			switch {
			case last.Phase == v1alpha1.AnalysisPhaseError:
				s += " error: " + last.Message
			case last.Value != "":
				s += " " + last.Value
			case last.Message != "":
				s += " " + last.Message
			}
		}
		counts := strings.TrimSuffix(strings.TrimSuffix(measurementCount(res.Count, &m), " measurements"), " measurement")
		var extra []string
		if res.Failed > 0 {
			extra = append(extra, strconv.Itoa(int(res.Failed))+" failed")
		}
		if res.Inconclusive > 0 {
			extra = append(extra, strconv.Itoa(int(res.Inconclusive))+" inconclusive")
		}
		if res.Error > 0 {
			extra = append(extra, strconv.Itoa(int(res.Error))+" errors")
		}
		if len(extra) > 0 {
			counts += ", " + strings.Join(extra, ", ")
		}
		s += " (" + counts + ")"
		if res.DryRun {
			s += " [dry run]"
		}
		out = append(out, s)
	}
	return out
}

// conditionsText shows Ready with its reason, and the other conditions that are True and
// matter to a person (with their reason when it adds to Ready's).
func conditionsText(conds []metav1.Condition) string {
	var parts []string
	readyReason := ""
	if c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); c != nil {
		parts = append(parts, fmt.Sprintf("Ready=%s (%s)", c.Status, c.Reason))
		readyReason = c.Reason
	}
	for _, t := range []string{v1alpha1.ConditionPaused, v1alpha1.ConditionAborted, v1alpha1.ConditionAnalysisFailed, v1alpha1.ConditionStalled} {
		c := meta.FindStatusCondition(conds, t)
		if c == nil || c.Status != metav1.ConditionTrue {
			continue
		}
		s := c.Type + "=True"
		if c.Reason != readyReason && c.Reason != "" {
			s += " (" + c.Reason + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "  ")
}
