package analysis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Template is a fetched AnalysisTemplate or ClusterAnalysisTemplate.
type Template struct {
	// Name of the template.
	Name string
	// ClusterScope is true for a ClusterAnalysisTemplate.
	ClusterScope bool
	// Spec of the template.
	Spec v1alpha1.AnalysisTemplateSpec
}

// TemplateNotFoundError says that a template a Rollout names does not exist.
type TemplateNotFoundError struct {
	// Ref is the missing template.
	Ref v1alpha1.AnalysisTemplateRef
	// Namespace where an AnalysisTemplate was looked for.
	Namespace string
}

func (e *TemplateNotFoundError) Error() string {
	if e.Ref.ClusterScope {
		return fmt.Sprintf("ClusterAnalysisTemplate %q not found", e.Ref.Name)
	}
	return fmt.Sprintf("AnalysisTemplate %q not found in namespace %q", e.Ref.Name, e.Namespace)
}

// IsTemplateNotFound reports whether err is, or wraps, a *TemplateNotFoundError.
func IsTemplateNotFound(err error) bool {
	var e *TemplateNotFoundError
	return errors.As(err, &e)
}

// FetchTemplates reads the templates refs names: AnalysisTemplates in namespace, or
// ClusterAnalysisTemplates for refs with clusterScope. A missing template is a
// *TemplateNotFoundError naming it.
func FetchTemplates(ctx context.Context, r client.Reader, namespace string, refs []v1alpha1.AnalysisTemplateRef) ([]Template, error) {
	out := make([]Template, 0, len(refs))
	for _, ref := range refs {
		var spec v1alpha1.AnalysisTemplateSpec
		if ref.ClusterScope {
			var t v1alpha1.ClusterAnalysisTemplate
			if err := r.Get(ctx, types.NamespacedName{Name: ref.Name}, &t); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, &TemplateNotFoundError{Ref: ref}
				}
				return nil, fmt.Errorf("get ClusterAnalysisTemplate %s: %w", ref.Name, err)
			}
			spec = t.Spec
		} else {
			var t v1alpha1.AnalysisTemplate
			if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &t); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, &TemplateNotFoundError{Ref: ref, Namespace: namespace}
				}
				return nil, fmt.Errorf("get AnalysisTemplate %s/%s: %w", namespace, ref.Name, err)
			}
			spec = t.Spec
		}
		out = append(out, Template{Name: ref.Name, ClusterScope: ref.ClusterScope, Spec: spec})
	}
	return out, nil
}

// RunInput is what BuildRun needs.
type RunInput struct {
	// Rollout that owns the run: its name, namespace and UID are used.
	Rollout *v1alpha1.Rollout
	// Kind of analysis.
	Kind v1alpha1.AnalysisKind
	// StepIndex is the canary step of a Step analysis; nil for other kinds.
	StepIndex *int32
	// Attempt counts retries of the same analysis of the same revision (after an abort and a
	// retry): 0 the first time. A new attempt is a new run.
	Attempt int32
	// Analysis names the templates and gives args.
	Analysis v1alpha1.RolloutAnalysis
	// Templates are the fetched templates, in the order of Analysis.Templates.
	Templates []Template
	// StableRevision is the revision hash of the stable (or active) revision.
	StableRevision string
	// CanaryRevision is the revision hash under analysis (the canary, preview or new
	// revision).
	CanaryRevision string
}

// maxNameLength is the longest object name Kubernetes accepts.
const maxNameLength = 253

// RunName is the name of the run of one analysis of one revision:
// "<rollout>-<revision>-<kind>" with the kind in lower case, then "-<step index>" for a step
// analysis and "-retry<N>" for attempt N > 0; e.g. "web-6f7d9c8b-step-2",
// "web-6f7d9c8b-background", "web-6f7d9c8b-prepromotion-retry1". The name depends only on
// its inputs, so a restarted controller finds the run it created instead of creating another.
func RunName(rollout, revision string, kind v1alpha1.AnalysisKind, stepIndex *int32, attempt int32) string {
	var b strings.Builder
	b.WriteString(rollout)
	b.WriteByte('-')
	b.WriteString(revision)
	b.WriteByte('-')
	b.WriteString(strings.ToLower(string(kind)))
	if stepIndex != nil {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(int(*stepIndex)))
	}
	if attempt > 0 {
		b.WriteString("-retry")
		b.WriteString(strconv.Itoa(int(attempt)))
	}
	name := b.String()
	if len(name) <= maxNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	h := hex.EncodeToString(sum[:])[:10]
	return name[:maxNameLength-len(h)-1] + "-" + h
}

// BuildRun returns the AnalysisRun to create for one analysis: named by RunName, labelled
// with the rollout, the revision under analysis and the kind, owned (as controller) by the
// Rollout, with the metrics of all templates merged and every arg given a value or a
// Secret to read it from.
//
// Args: a value the Rollout gives wins over a template's default; args the Rollout gives
// that no template declares are ignored. An arg declared by several templates is one arg;
// different defaults for it are an error. An arg left without value or valueFrom is an
// error naming it, and so is a {{args.NAME}} no template declares. The built-ins
// {{rollout.name}}, {{rollout.namespace}}, {{rollout.stableRevision}} and
// {{rollout.canaryRevision}} are replaced in the run's metrics; args are replaced at each
// measurement, so Secret values never land in the run.
//
// A metric name used by two templates is an error.
func BuildRun(in RunInput) (*v1alpha1.AnalysisRun, error) {
	ro := in.Rollout
	if ro == nil {
		return nil, errors.New("build AnalysisRun: no Rollout")
	}
	if len(in.Templates) == 0 {
		return nil, errors.New("build AnalysisRun: no templates")
	}
	args, err := mergeArgs(in.Templates, in.Analysis.Args)
	if err != nil {
		return nil, err
	}
	declared := make(map[string]bool, len(args))
	for _, a := range args {
		declared[a.Name] = true
	}
	builtins := Vars{
		VarRolloutName:      ro.Name,
		VarRolloutNamespace: ro.Namespace,
	}
	if in.StableRevision != "" {
		builtins[VarRolloutStableRevision] = in.StableRevision
	}
	if in.CanaryRevision != "" {
		builtins[VarRolloutCanaryRevision] = in.CanaryRevision
	}

	var metrics []v1alpha1.Metric
	from := map[string]string{}
	for _, t := range in.Templates {
		for i := range t.Spec.Metrics {
			m := t.Spec.Metrics[i].DeepCopy()
			if prev, ok := from[m.Name]; ok {
				return nil, fmt.Errorf("metric %q is defined by both template %q and template %q", m.Name, prev, t.Name)
			}
			from[m.Name] = t.Name
			if err := substituteMetric(m, builtins, rolloutPrefix); err != nil {
				return nil, fmt.Errorf("metric %q of template %q: %w", m.Name, t.Name, err)
			}
			for _, p := range metricTexts(m) {
				for _, name := range Placeholders(*p) {
					switch {
					case strings.HasPrefix(name, argPrefix):
						if !declared[strings.TrimPrefix(name, argPrefix)] {
							return nil, fmt.Errorf("metric %q of template %q uses {{%s}} but no template declares arg %q",
								m.Name, t.Name, name, strings.TrimPrefix(name, argPrefix))
						}
					default:
						return nil, fmt.Errorf("metric %q of template %q: %w", m.Name, t.Name, unknownPlaceholder(name))
					}
				}
			}
			metrics = append(metrics, *m)
		}
	}

	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:      RunName(ro.Name, in.CanaryRevision, in.Kind, in.StepIndex, in.Attempt),
			Namespace: ro.Namespace,
			Labels: map[string]string{
				v1alpha1.LabelRollout:      ro.Name,
				v1alpha1.LabelRevision:     in.CanaryRevision,
				v1alpha1.LabelAnalysisKind: string(in.Kind),
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         v1alpha1.GroupVersion.String(),
				Kind:               "Rollout",
				Name:               ro.Name,
				UID:                ro.UID,
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: v1alpha1.AnalysisRunSpec{Args: args, Metrics: metrics},
	}
	return run, nil
}

// mergeArgs merges the args of the templates and gives them the Rollout's values.
func mergeArgs(templates []Template, given []v1alpha1.Argument) ([]v1alpha1.Argument, error) {
	givenValue := map[string]bool{}
	for _, g := range given {
		givenValue[g.Name] = hasValue(g)
	}
	var args []v1alpha1.Argument
	index := map[string]int{}
	owner := map[string]string{}
	for _, t := range templates {
		for _, a := range t.Spec.Args {
			i, ok := index[a.Name]
			if !ok {
				index[a.Name] = len(args)
				owner[a.Name] = t.Name
				args = append(args, *a.DeepCopy())
				continue
			}
			prev := &args[i]
			switch {
			case !hasValue(a), givenValue[a.Name]:
			case !hasValue(*prev):
				*prev = *a.DeepCopy()
				owner[a.Name] = t.Name
			case !reflect.DeepEqual(prev.Value, a.Value) || !reflect.DeepEqual(prev.ValueFrom, a.ValueFrom):
				return nil, fmt.Errorf("arg %q has different defaults in template %q and template %q", a.Name, owner[a.Name], t.Name)
			}
		}
	}
	for _, g := range given {
		i, ok := index[g.Name]
		if !ok || !hasValue(g) {
			continue
		}
		args[i] = *g.DeepCopy()
	}
	for _, a := range args {
		if !hasValue(a) {
			return nil, fmt.Errorf("arg %q needs a value: template %q declares it without a default and the Rollout gives none", a.Name, owner[a.Name])
		}
	}
	return args, nil
}

func hasValue(a v1alpha1.Argument) bool {
	return a.Value != nil || (a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil)
}
