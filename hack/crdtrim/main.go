// Command crdtrim drops the field descriptions inside the pod template embedded in the
// Rollout CRD, so the CRD stays small enough for a client-side `kubectl apply` while Stride's
// own fields keep their descriptions for `kubectl explain`.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdtrim DIR")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.yaml"))
	if err != nil {
		fail(err)
	}
	for _, f := range files {
		if err := trim(f); err != nil {
			fail(fmt.Errorf("%s: %w", f, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "crdtrim:", err)
	os.Exit(1)
}

func trim(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	versions, _ := dig(crd, "spec", "versions").([]any)
	changed := false
	for _, v := range versions {
		spec, _ := dig(v, "schema", "openAPIV3Schema", "properties", "spec", "properties").(map[string]any)
		if spec == nil {
			continue
		}
		if tmpl, ok := spec["template"].(map[string]any); ok {
			if props, ok := tmpl["properties"]; ok {
				dropDescriptions(props)
				changed = true
			}
		}
		// Bounds that keep the CEL rule comparing selector and template labels within the
		// API server's cost budget (label values are at most 63 characters anyway).
		for _, m := range []any{
			dig(spec, "selector", "properties", "matchLabels"),
			dig(spec, "template", "properties", "metadata", "properties", "labels"),
		} {
			if labels, ok := m.(map[string]any); ok {
				labels["maxProperties"] = 64
				if ap, ok := labels["additionalProperties"].(map[string]any); ok {
					ap["maxLength"] = 63
				}
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	out = append([]byte("---\n"), out...)
	if bytes.Equal(out, data) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func dropDescriptions(v any) {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["description"].(string); ok {
			delete(t, "description")
		}
		for k, c := range t {
			if k == "properties" {
				// property names may be "description": only recurse into the schemas
				if m, ok := c.(map[string]any); ok {
					for _, s := range m {
						dropDescriptions(s)
					}
				}
				continue
			}
			dropDescriptions(c)
		}
	case []any:
		for _, c := range t {
			dropDescriptions(c)
		}
	}
}
