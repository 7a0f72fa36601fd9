package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func newSetCommand(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Change a rollout's pod template (set image)",
		Long:  `Change fields of a Rollout's pod template. A new template is a new revision, rolled out with the Rollout's strategy.`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newSetImageCommand(f))
	return cmd
}

func newSetImageCommand(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "image NAME CONTAINER=IMAGE [CONTAINER=IMAGE...]",
		Short: "Set container images of a rollout's pod template",
		Long: `Set the image of one or more containers (or init containers) of a Rollout's pod
template, like kubectl set image. CONTAINER '*' sets every container. The new template is a
new revision, rolled out with the Rollout's strategy.

The change is a JSON patch that first tests each container's name at its position, so it
fails rather than change the wrong container if the template changed meanwhile.

The pod template is part of the spec: if a GitOps tool owns the Rollout, change the image
in Git instead.

Plain kubectl: kubectl patch rollout NAME --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"}]'`,
		Example: `  # New image for container app of rollout web
  kubectl stride set image web app=nginx:1.28

  # Same image for every container
  kubectl stride set image web '*=registry.example/web:2.0'`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setImage(cmd.Context(), f, args[0], args[1:])
		},
	}
}

// imageChange is one container image to replace.
type imageChange struct {
	// field is "containers" or "initContainers".
	field     string
	index     int
	container string
	from, to  string
}

// parseImageArgs reads CONTAINER=IMAGE arguments.
func parseImageArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		name, image, ok := strings.Cut(a, "=")
		if !ok || name == "" || image == "" {
			return nil, fmt.Errorf("%q is not CONTAINER=IMAGE", a)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("container %q is named twice", name)
		}
		out[name] = image
	}
	return out, nil
}

// planImageChanges finds the containers to change. Unchanged images are left out.
func planImageChanges(ro *v1alpha1.Rollout, images map[string]string) ([]imageChange, error) {
	spec := &ro.Spec.Template.Spec
	var changes []imageChange
	found := map[string]bool{}
	visit := func(field string, cs []corev1.Container) {
		for i, c := range cs {
			to, ok := images[c.Name]
			if !ok {
				to, ok = images["*"]
			}
			if !ok {
				continue
			}
			found[c.Name] = true
			if c.Image != to {
				changes = append(changes, imageChange{field: field, index: i, container: c.Name, from: c.Image, to: to})
			}
		}
	}
	visit("containers", spec.Containers)
	visit("initContainers", spec.InitContainers)
	var missing []string
	for name := range images {
		if name != "*" && !found[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("rollout %q has no container %s; its containers are: %s",
			ro.Name, quoteList(missing), containerNames(spec))
	}
	return changes, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func containerNames(spec *corev1.PodSpec) string {
	var names []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
	}
	s := strings.Join(names, ", ")
	if len(spec.InitContainers) > 0 {
		var init []string
		for _, c := range spec.InitContainers {
			init = append(init, c.Name)
		}
		s += " (init: " + strings.Join(init, ", ") + ")"
	}
	return s
}

// imagePatch is a JSON patch that tests each container's name and replaces its image.
func imagePatch(changes []imageChange) ([]byte, error) {
	var ops []map[string]any
	for _, ch := range changes {
		base := fmt.Sprintf("/spec/template/spec/%s/%d", ch.field, ch.index)
		ops = append(ops,
			map[string]any{"op": "test", "path": base + "/name", "value": ch.container},
			map[string]any{"op": "replace", "path": base + "/image", "value": ch.to})
	}
	return json.Marshal(ops)
}

func setImage(ctx context.Context, f *factory, name string, args []string) error {
	images, err := parseImageArgs(args)
	if err != nil {
		return err
	}
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	ro, err := getRollout(ctx, c, ns, name)
	if err != nil {
		return err
	}
	changes, err := planImageChanges(ro, images)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		fmt.Fprintf(f.streams.Out, "rollout %q unchanged: the images are already set\n", name)
		return nil
	}
	patch, err := imagePatch(changes)
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, ro, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", ns, name, err)
	}
	var parts []string
	for _, ch := range changes {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", ch.container, ch.from, ch.to))
	}
	fmt.Fprintf(f.streams.Out, "rollout %q image updated: %s\n", name, strings.Join(parts, ", "))
	return nil
}
