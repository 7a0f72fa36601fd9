// Package lint validates Stride objects (Rollout, AnalysisTemplate, ClusterAnalysisTemplate,
// AnalysisRun) in YAML files offline, with the rules the API server applies to them (the
// CRDs' OpenAPI schemas and CEL rules, embedded from config/crd/bases) and with checks of
// meaning the API server cannot make: steps that make no sense, Services and analysis
// templates that are named but not defined.
package lint

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/config/crd"
)

// Annotations that steer the linter for one object.
const (
	// AnnotationExternalTemplates on a Rollout lists analysis templates (comma separated)
	// that exist in the cluster but not in the linted files.
	AnnotationExternalTemplates = "stride.dev/external-templates"
	// AnnotationDisable on any object lists lint rules (comma separated) not to apply to it.
	AnnotationDisable = "stride.dev/lint-disable"
)

// Problem is one finding.
type Problem struct {
	// File the object comes from.
	File string
	// Line of the field, or of the object's `kind:` (1-based; 0 when unknown).
	Line int
	// Field is the path of the field, such as "spec.strategy.canary.steps[1].pause".
	Field string
	// Message says what is wrong.
	Message string
	// Rule names the check of meaning that found it; empty for schema and CEL errors.
	Rule string
	// Warning marks a finding that is worth a look but does not fail the lint (unless
	// Options.Strict).
	Warning bool
}

// String formats the problem as FILE:LINE: field.path: message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	if p.Rule != "" {
		b.WriteString(" [" + p.Rule + "]")
	}
	return b.String()
}

// Source is one file to lint.
type Source struct {
	// Name is shown in problems (a path, or "-" for stdin).
	Name string
	// Data is the file's content: one or more YAML or JSON documents.
	Data []byte
}

// Options tune a run.
type Options struct {
	// ExternalTemplates are analysis template names that exist in the cluster, so a Rollout
	// may name them although no file defines them.
	ExternalTemplates []string
	// Disable lists rules not to apply (see Rules).
	Disable []string
	// Strict turns warnings into errors.
	Strict bool
}

// Result is the outcome of a run.
type Result struct {
	// Problems, ordered by file (in the order given) and line.
	Problems []Problem
	// Objects is the number of Stride objects checked.
	Objects int
	// Files is the number of files read.
	Files int
}

// Errors counts the problems that fail the lint.
func (r Result) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

// Linter validates Stride objects. It is safe for concurrent use.
type Linter struct {
	schemas map[schema.GroupVersionKind]*kindSchema
}

// New returns a Linter using the CRDs built into the binary.
func New() (*Linter, error) {
	return NewFromCRDs(crd.Bases, "bases/*.yaml")
}

// NewFromCRDs returns a Linter using the CustomResourceDefinitions in fsys that match glob.
func NewFromCRDs(fsys fs.FS, glob string) (*Linter, error) {
	s, err := loadSchemas(fsys, glob)
	if err != nil {
		return nil, err
	}
	return &Linter{schemas: s}, nil
}

// Lint checks every Stride object in sources. Objects of other groups (Services,
// Deployments ...) are not checked, but Services are used to check the names a Rollout
// refers to.
func (l *Linter) Lint(ctx context.Context, sources []Source, opts Options) Result {
	res := Result{Files: len(sources)}
	var docs []*document
	for _, src := range sources {
		ds, p := splitDocuments(src.Name, src.Data)
		docs = append(docs, ds...)
		if p != nil {
			res.Problems = append(res.Problems, *p)
		}
	}

	idx := newIndex(docs)
	for _, d := range docs {
		if d.obj == nil {
			res.Problems = append(res.Problems, Problem{File: d.file, Line: d.kindLine(), Message: "not a Kubernetes object: a document must be a mapping"})
			continue
		}
		apiVersion, _ := d.obj["apiVersion"].(string)
		kind, _ := d.obj["kind"].(string)
		if apiVersion == "" && kind == "" {
			// A kustomization.yaml or a values file found in a directory: not ours to judge.
			res.Problems = append(res.Problems, Problem{File: d.file, Line: d.kindLine(), Warning: true,
				Message: "not a Kubernetes object (no apiVersion or kind): skipped"})
			continue
		}
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil || apiVersion == "" || kind == "" {
			res.Problems = append(res.Problems, Problem{File: d.file, Line: d.kindLine(),
				Message: "not a Kubernetes object: apiVersion and kind are both required"})
			continue
		}
		if gv.Group != v1alpha1.GroupVersion.Group {
			if _, ours := l.kindsByName()[kind]; ours && gv.Group == "" {
				res.Problems = append(res.Problems, Problem{File: d.file, Line: d.line("apiVersion"), Field: "apiVersion",
					Message: fmt.Sprintf("%s is a Stride kind: apiVersion must be %s", kind, v1alpha1.GroupVersion)})
			}
			continue
		}
		res.Objects++
		ks, ok := l.schemas[gv.WithKind(kind)]
		if !ok {
			res.Problems = append(res.Problems, Problem{File: d.file, Line: d.kindLine(), Field: "kind",
				Message: fmt.Sprintf("no kind %q in %s: known kinds are %s", kind, apiVersion, strings.Join(l.kinds(), ", "))})
			continue
		}
		disabled := disabledRules(d, opts.Disable)
		for _, e := range ks.validate(ctx, d.obj) {
			p := Problem{File: d.file, Field: e.Field, Message: e.ErrorBody()}
			switch {
			case e.Detail == unknownFieldDetail:
				p.Message = unknownFieldDetail
			case e.Field == "<nil>" || e.Field == "":
				p.Field, p.Message = "", e.Detail
			}
			p.Line = d.line(p.Field)
			res.Problems = append(res.Problems, p)
		}
		for _, p := range checkMeaning(d, idx, opts) {
			if disabled[p.Rule] {
				continue
			}
			p.File = d.file
			p.Line = d.line(p.Field)
			if opts.Strict {
				p.Warning = false
			}
			res.Problems = append(res.Problems, p)
		}
	}

	order := map[string]int{}
	for i, s := range sources {
		if _, ok := order[s.Name]; !ok {
			order[s.Name] = i
		}
	}
	sort.SliceStable(res.Problems, func(i, j int) bool {
		a, b := res.Problems[i], res.Problems[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		return a.Line < b.Line
	})
	return res
}

func (l *Linter) kindsByName() map[string]bool {
	out := map[string]bool{}
	for gvk := range l.schemas {
		out[gvk.Kind] = true
	}
	return out
}

// kinds lists the kinds the linter knows, sorted.
func (l *Linter) kinds() []string {
	var out []string
	for gvk := range l.schemas {
		out = append(out, gvk.Kind)
	}
	sort.Strings(out)
	return out
}

// disabledRules merges the rules disabled by flag and by the object's annotation.
func disabledRules(d *document, flag []string) map[string]bool {
	out := map[string]bool{}
	for _, r := range flag {
		out[strings.TrimSpace(r)] = true
	}
	for _, r := range splitList(annotation(d.obj, AnnotationDisable)) {
		out[r] = true
	}
	return out
}

func annotation(obj map[string]any, key string) string {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	v, _ := ann[key].(string)
	return v
}

// splitList splits "a, b,c" into its non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
