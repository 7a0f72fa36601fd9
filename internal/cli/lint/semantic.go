package lint

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Rules of meaning, by name. Each can be turned off with --disable NAME or, for one object,
// with the annotation stride.dev/lint-disable: NAME. All are errors except those in
// warningRules.
var Rules = map[string]string{
	RuleNoSetWeight:       "a canary with steps has no setWeight step, so the canary gets no traffic before promotion",
	RuleDecreasingWeight:  "a setWeight step is lower than an earlier one, moving traffic back to stable mid-update",
	RuleTrailingPause:     "the last canary step is a pause with no duration, so every update ends waiting for a person (a warning)",
	RuleUndefinedService:  "a Service the strategy names is not among the Services the files define in the Rollout's namespace",
	RuleUndefinedTemplate: "an analysis names a template that is neither in the given files nor marked external",
	RuleStartingStep:      "background analysis starts at a step the canary does not have",
	RuleAutoPromotion:     "autoPromotionSeconds is set while autoPromotionEnabled is false (a warning)",
	RuleCondition:         "a metric's successCondition or failureCondition is not valid CEL",
	RuleNoCondition:       "a metric has neither successCondition nor failureCondition, so every measurement is inconclusive",
}

// Rule names.
const (
	RuleNoSetWeight       = "no-set-weight"
	RuleDecreasingWeight  = "decreasing-weight"
	RuleTrailingPause     = "trailing-indefinite-pause"
	RuleUndefinedService  = "undefined-service"
	RuleUndefinedTemplate = "undefined-template"
	RuleStartingStep      = "starting-step"
	RuleAutoPromotion     = "auto-promotion"
	RuleCondition         = "condition-syntax"
	RuleNoCondition       = "no-condition"
)

// warningRules report patterns that are intended or harmless: a trailing indefinite pause is
// the usual way to ask for a person's go-ahead before the last traffic shift, and an unused
// autoPromotionSeconds does nothing.
var warningRules = map[string]bool{RuleTrailingPause: true, RuleAutoPromotion: true}

// index holds what the files define, to check the names a Rollout refers to.
type index struct {
	// templates are AnalysisTemplates as namespace/name ("" namespace: not set in the file).
	templates map[string]bool
	// clusterTemplates are ClusterAnalysisTemplate names.
	clusterTemplates map[string]bool
	// services are Services as namespace/name.
	services map[string]bool
	// serviceNamespaces are the namespaces ("" for none written) the files define Services in.
	serviceNamespaces map[string]bool
}

func newIndex(docs []*document) *index {
	idx := &index{templates: map[string]bool{}, clusterTemplates: map[string]bool{}, services: map[string]bool{}, serviceNamespaces: map[string]bool{}}
	for _, d := range docs {
		if d.obj == nil {
			continue
		}
		apiVersion, _ := d.obj["apiVersion"].(string)
		kind, _ := d.obj["kind"].(string)
		meta, _ := d.obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		switch {
		case apiVersion == v1alpha1.GroupVersion.String() && kind == "AnalysisTemplate":
			idx.templates[ns+"/"+name] = true
		case apiVersion == v1alpha1.GroupVersion.String() && kind == "ClusterAnalysisTemplate":
			idx.clusterTemplates[name] = true
		case apiVersion == "v1" && kind == "Service":
			idx.services[ns+"/"+name] = true
			idx.serviceNamespaces[ns] = true
		}
	}
	return idx
}

// hasNamespaced reports whether set holds ns/name. An object without a namespace in its
// file takes kubectl's -n when applied, so it matches any namespace.
func hasNamespaced(set map[string]bool, ns, name string) bool {
	if set[ns+"/"+name] || set["/"+name] {
		return true
	}
	if ns == "" {
		for k := range set {
			if strings.HasSuffix(k, "/"+name) {
				return true
			}
		}
	}
	return false
}

// checkMeaning runs the rules of meaning on a schema-valid (pruned, defaulted) object.
// Problems carry Field and Rule; the caller fills File and Line.
func checkMeaning(d *document, idx *index, opts Options) []Problem {
	kind, _ := d.obj["kind"].(string)
	data, err := json.Marshal(d.obj)
	if err != nil {
		return nil
	}
	switch kind {
	case "Rollout":
		var ro v1alpha1.Rollout
		if json.Unmarshal(data, &ro) != nil {
			return nil // the schema errors already say why
		}
		external := map[string]bool{}
		for _, n := range append(splitList(ro.Annotations[AnnotationExternalTemplates]), opts.ExternalTemplates...) {
			external[strings.TrimSpace(n)] = true
		}
		return checkRollout(&ro, idx, external)
	case "AnalysisTemplate", "ClusterAnalysisTemplate":
		var t v1alpha1.AnalysisTemplate
		if json.Unmarshal(data, &t) != nil {
			return nil
		}
		return checkMetrics(field.NewPath("spec", "metrics"), t.Spec.Metrics)
	case "AnalysisRun":
		var r v1alpha1.AnalysisRun
		if json.Unmarshal(data, &r) != nil {
			return nil
		}
		return checkMetrics(field.NewPath("spec", "metrics"), r.Spec.Metrics)
	}
	return nil
}

func problem(rule string, p *field.Path, format string, args ...any) Problem {
	return Problem{Rule: rule, Field: p.String(), Message: fmt.Sprintf(format, args...), Warning: warningRules[rule]}
}

func checkRollout(ro *v1alpha1.Rollout, idx *index, external map[string]bool) []Problem {
	var out []Problem
	strategy := field.NewPath("spec", "strategy")
	ns := ro.Namespace
	// Services are checked only when the files define Services in the Rollout's namespace:
	// then they are meant to be complete; otherwise they live elsewhere.
	service := func(p *field.Path, name string) {
		if name == "" || !idx.serviceNamespaces[ns] || idx.services[ns+"/"+name] {
			return
		}
		out = append(out, problem(RuleUndefinedService, p, "Service %q is not defined in the given files", name))
	}
	analysis := func(p *field.Path, a *v1alpha1.RolloutAnalysis) {
		if a == nil {
			return
		}
		for i, t := range a.Templates {
			tp := p.Child("templates").Index(i).Child("name")
			switch {
			case external[t.Name]:
			case t.ClusterScope && idx.clusterTemplates[t.Name]:
			case !t.ClusterScope && hasNamespaced(idx.templates, ns, t.Name):
			default:
				kind := "AnalysisTemplate"
				if t.ClusterScope {
					kind = "ClusterAnalysisTemplate"
				}
				out = append(out, problem(RuleUndefinedTemplate, tp,
					"%s %q is not defined in the given files; add its file, or if it exists in the cluster list it with --external-templates %s or the annotation %s",
					kind, t.Name, t.Name, AnnotationExternalTemplates))
			}
		}
	}

	s := ro.Spec.Strategy
	switch {
	case s.Canary != nil:
		c := s.Canary
		cp := strategy.Child("canary")
		service(cp.Child("stableService"), c.StableService)
		service(cp.Child("canaryService"), c.CanaryService)
		out = append(out, checkSteps(cp.Child("steps"), c.Steps)...)
		for i, st := range c.Steps {
			analysis(cp.Child("steps").Index(i).Child("analysis"), st.Analysis)
		}
		if c.Analysis != nil {
			analysis(cp.Child("analysis"), &c.Analysis.RolloutAnalysis)
			if c.Analysis.StartingStep != nil && int(*c.Analysis.StartingStep) > len(c.Steps) {
				out = append(out, problem(RuleStartingStep, cp.Child("analysis", "startingStep"),
					"startingStep %d is beyond the %d steps: the background analysis would never start", *c.Analysis.StartingStep, len(c.Steps)))
			}
		}
	case s.BlueGreen != nil:
		b := s.BlueGreen
		bp := strategy.Child("blueGreen")
		service(bp.Child("activeService"), b.ActiveService)
		service(bp.Child("previewService"), b.PreviewService)
		if b.AutoPromotionEnabled != nil && !*b.AutoPromotionEnabled && b.AutoPromotionSeconds != nil {
			out = append(out, problem(RuleAutoPromotion, bp.Child("autoPromotionSeconds"),
				"autoPromotionSeconds has no effect while autoPromotionEnabled is false"))
		}
		analysis(bp.Child("prePromotionAnalysis"), b.PrePromotionAnalysis)
		analysis(bp.Child("postPromotionAnalysis"), b.PostPromotionAnalysis)
	case s.Rolling != nil:
		r := s.Rolling
		rp := strategy.Child("rolling")
		service(rp.Child("service"), r.Service)
		analysis(rp.Child("analysis"), r.Analysis)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// checkSteps checks that canary steps make sense as a sequence.
func checkSteps(p *field.Path, steps []v1alpha1.CanaryStep) []Problem {
	if len(steps) == 0 {
		return nil
	}
	var out []Problem
	last := int32(-1)
	lastAt := -1
	for i, st := range steps {
		if st.SetWeight == nil {
			continue
		}
		if *st.SetWeight < last {
			out = append(out, problem(RuleDecreasingWeight, p.Index(i).Child("setWeight"),
				"setWeight %d is lower than setWeight %d at step %d: traffic would move back to the stable revision in the middle of the update",
				*st.SetWeight, last, lastAt+1))
		}
		last, lastAt = *st.SetWeight, i
	}
	if lastAt < 0 {
		out = append(out, problem(RuleNoSetWeight, p,
			"no step sets a weight: the canary receives no traffic before it is promoted, so pauses and analyses measure nothing; add a setWeight step"))
	}
	if end := steps[len(steps)-1]; end.Pause != nil && end.Pause.Duration == nil {
		out = append(out, problem(RuleTrailingPause, p.Index(len(steps)-1).Child("pause"),
			"the last step is a pause with no duration: every update waits after its last step until someone runs `kubectl stride promote`; fine if a manual go-ahead is intended, otherwise give the pause a duration"))
	}
	return out
}

// conditionEnv parses metric conditions; `result` is the measured value.
var conditionEnv, _ = cel.NewEnv(cel.Variable("result", cel.DynType))

func checkMetrics(p *field.Path, metrics []v1alpha1.Metric) []Problem {
	var out []Problem
	for i, m := range metrics {
		mp := p.Index(i)
		if m.SuccessCondition == "" && m.FailureCondition == "" {
			out = append(out, problem(RuleNoCondition, mp,
				"metric %q has neither successCondition nor failureCondition: every measurement would be inconclusive", m.Name))
		}
		for _, c := range []struct{ name, expr string }{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
			if c.expr == "" {
				continue
			}
			if _, iss := conditionEnv.Parse(c.expr); iss != nil && iss.Err() != nil {
				out = append(out, problem(RuleCondition, mp.Child(c.name), "not a valid CEL expression: %s", celError(iss.Err().Error())))
			}
		}
	}
	return out
}

// celError keeps the first line of a CEL parse error, without its "ERROR: <input>:" prefix:
// "1:11: Syntax error: mismatched input ...".
func celError(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimPrefix(s, "ERROR: ")
	return strings.TrimPrefix(s, "<input>:")
}
