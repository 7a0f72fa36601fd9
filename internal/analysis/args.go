package analysis

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Vars maps placeholder names to values: "args.service" -> "web-canary",
// "rollout.name" -> "web".
//
// Placeholders are written {{args.NAME}} for an arg of the run and {{rollout.name}},
// {{rollout.namespace}}, {{rollout.stableRevision}}, {{rollout.canaryRevision}} for the
// built-ins; spaces inside the braces are allowed. They are replaced in a Prometheus
// metric's address and query, and in a web metric's URL, header values and body. The
// built-ins are replaced when the run is built; args when a measurement is taken, so that a
// value read from a Secret never lands in the run's spec.
type Vars map[string]string

// Built-in placeholder names.
const (
	VarRolloutName           = "rollout.name"
	VarRolloutNamespace      = "rollout.namespace"
	VarRolloutStableRevision = "rollout.stableRevision"
	VarRolloutCanaryRevision = "rollout.canaryRevision"

	argPrefix     = "args."
	rolloutPrefix = "rollout."
)

var placeholder = regexp.MustCompile(`\{\{\s*([^{}\s]*)\s*\}\}`)

// Placeholders lists the names referenced in s, in order, with repeats.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// Substitute replaces every placeholder in s. A name without a value is an error that
// names it; nothing is ever replaced by a silent empty string.
func (v Vars) Substitute(s string) (string, error) {
	return v.substitute(s, "")
}

// substitute replaces the placeholders whose name starts with prefix ("" for all).
func (v Vars) substitute(s, prefix string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	var err error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if !strings.HasPrefix(name, prefix) {
			return m
		}
		val, ok := v[name]
		if !ok && err == nil {
			err = unknownPlaceholder(name)
		}
		return val
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

func unknownPlaceholder(name string) error {
	switch {
	case strings.HasPrefix(name, argPrefix):
		return fmt.Errorf("arg %q has no value (it is used as {{%s}})", strings.TrimPrefix(name, argPrefix), name)
	case strings.HasPrefix(name, rolloutPrefix):
		return fmt.Errorf("{{%s}} has no value (built-ins: %s, %s, %s, %s)", name,
			VarRolloutName, VarRolloutNamespace, VarRolloutStableRevision, VarRolloutCanaryRevision)
	}
	return fmt.Errorf("unknown placeholder {{%s}}: use {{args.NAME}} or {{rollout.name}}", name)
}

// metricTexts returns the fields of a metric where placeholders are replaced.
func metricTexts(m *v1alpha1.Metric) []*string {
	var out []*string
	if p := m.Provider.Prometheus; p != nil {
		out = append(out, &p.Address, &p.Query)
	}
	if w := m.Provider.Web; w != nil {
		out = append(out, &w.URL, &w.Body)
		for i := range w.Headers {
			out = append(out, &w.Headers[i].Value)
		}
	}
	return out
}

// substituteMetric replaces the placeholders with the given prefix in m's texts, in place.
func substituteMetric(m *v1alpha1.Metric, vars Vars, prefix string) error {
	for _, p := range metricTexts(m) {
		s, err := vars.substitute(*p, prefix)
		if err != nil {
			return err
		}
		*p = s
	}
	return nil
}

// SecretReader reads one key of a Secret in a namespace.
type SecretReader func(ctx context.Context, namespace string, ref v1alpha1.SecretKeyRef) (string, error)

// ResolveArgs gives each arg of a run its value as "args.NAME": its value, or the Secret key
// its valueFrom names, read through secrets. An arg with neither is an error naming it.
func ResolveArgs(ctx context.Context, namespace string, args []v1alpha1.Argument, secrets SecretReader) (Vars, error) {
	vars := make(Vars, len(args))
	for _, a := range args {
		switch {
		case a.Value != nil:
			vars[argPrefix+a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			if secrets == nil {
				return nil, fmt.Errorf("arg %q: no Secret reader configured", a.Name)
			}
			ref := *a.ValueFrom.SecretKeyRef
			val, err := secrets(ctx, namespace, ref)
			if err != nil {
				return nil, fmt.Errorf("read arg %q from Secret %s key %s: %w", a.Name, ref.Name, ref.Key, err)
			}
			vars[argPrefix+a.Name] = val
		default:
			// Left out: a placeholder using it reports the missing value by name.
		}
	}
	return vars, nil
}
