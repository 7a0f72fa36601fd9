// Package plan decides what the world should look like for a Rollout. It is a pure function
// of the Rollout's spec and status, the observed revision Deployments and AnalysisRuns, and
// the clock: no client calls, no goroutines, no hidden state. The controller fetches, calls
// Plan, and applies the result.
package plan

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// RevisionHash is the short, stable name of a pod template. It depends only on the
// template's content: two templates that differ only in the order of their YAML fields or map
// keys have the same hash, and any change to the template changes it. Stride's own labels
// (stride.dev/rollout, stride.dev/revision) are ignored.
func RevisionHash(template *corev1.PodTemplateSpec) string {
	t := template.DeepCopy()
	if t.Labels != nil {
		delete(t.Labels, v1alpha1.LabelRollout)
		delete(t.Labels, v1alpha1.LabelRevision)
		if len(t.Labels) == 0 {
			t.Labels = nil
		}
	}
	// encoding/json writes struct fields in declaration order and map keys sorted, so the
	// bytes depend only on the content.
	data, err := json.Marshal(t)
	if err != nil {
		// A PodTemplateSpec always marshals; keep a defined value all the same.
		data = []byte(fmt.Sprintf("%#v", t))
	}
	h := fnv.New64a()
	_, _ = h.Write(data)
	return rand.SafeEncodeString(fmt.Sprintf("%020d", h.Sum64()))[10:]
}
