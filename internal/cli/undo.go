package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/internal/plan"
)

func newUndoCommand(f *factory) *cobra.Command {
	var to int64
	cmd := &cobra.Command{
		Use:   "undo NAME",
		Short: "Roll back to an earlier revision's pod template",
		Long: `Roll a Rollout back to the pod template of an earlier revision, like kubectl rollout
undo: the template of revision N (default: the one before the current revision) is copied
from its revision Deployment back into spec.template, without the stride.dev/rollout and
stride.dev/revision labels Stride added. Going back to the stable revision during an update
is a fast rollback (no steps); any other revision rolls out with the strategy.

Revisions are numbered in the annotation stride.dev/revision-number of the revision
Deployments; Stride keeps revisionHistoryLimit old ones. List them with
  kubectl get deploy -l stride.dev/rollout=NAME -L stride.dev/revision \
    -o custom-columns=NAME:.metadata.name,REVISION:.metadata.annotations.stride\.dev/revision-number

The pod template is part of the spec: if a GitOps tool owns the Rollout, revert the
change in Git instead (or the tool will undo the undo).

Plain kubectl: copy .spec.template of the revision Deployment NAME-HASH into the Rollout
(without the two stride.dev labels) with kubectl edit rollout NAME or kubectl apply.`,
		Example: `  # Back to the previous revision
  kubectl stride undo web

  # Back to revision 3
  kubectl stride undo web --to-revision 3`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRollouts(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			return undo(cmd.Context(), f, args[0], to)
		},
	}
	cmd.Flags().Int64Var(&to, "to-revision", 0, "The revision number to go back to (0: the one before the current revision)")
	return cmd
}

// currentRevisionNumber is the number of the Rollout's updated revision.
func currentRevisionNumber(ro *v1alpha1.Rollout, revs []appsv1.Deployment) int64 {
	if ro.Status.RevisionNumber > 0 {
		return ro.Status.RevisionNumber
	}
	for i := range revs {
		if revisionHash(&revs[i]) == ro.Status.UpdatedRevision {
			return revisionNumber(&revs[i])
		}
	}
	return 0
}

// pickRevision chooses the revision Deployment to go back to: number to, or (to == 0) the
// highest number below the current one.
func pickRevision(ro *v1alpha1.Rollout, revs []appsv1.Deployment, to int64) (*appsv1.Deployment, error) {
	current := currentRevisionNumber(ro, revs)
	var numbers []int64
	byNumber := map[int64]*appsv1.Deployment{}
	for i := range revs {
		if n := revisionNumber(&revs[i]); n > 0 {
			numbers = append(numbers, n)
			byNumber[n] = &revs[i]
		}
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
	available := func() string {
		if len(numbers) == 0 {
			return "none"
		}
		var s []string
		for _, n := range numbers {
			item := strconv.FormatInt(n, 10)
			if n == current {
				item += " (current)"
			}
			s = append(s, item)
		}
		return strings.Join(s, ", ")
	}
	if to == 0 {
		for i := len(numbers) - 1; i >= 0; i-- {
			if current == 0 || numbers[i] < current {
				return byNumber[numbers[i]], nil
			}
		}
		return nil, refuse("rollout %q has no revision before revision %d to go back to; available revisions: %s", ro.Name, current, available())
	}
	d := byNumber[to]
	switch {
	case d == nil:
		return nil, fmt.Errorf("revision %d not found for rollout %q; available revisions: %s", to, ro.Name, available())
	case to == current:
		return nil, refuse("revision %d is the current revision of rollout %q", to, ro.Name)
	}
	return d, nil
}

// restoreTemplate returns the pod template a revision Deployment was made from: its
// template without Stride's labels and, when that reproduces the revision's hash exactly,
// without the defaults the API server filled into the Deployment. exact reports whether the
// hash matched, so the Rollout goes back to that very revision rather than a new one.
func restoreTemplate(d *appsv1.Deployment) (tmpl corev1.PodTemplateSpec, exact bool) {
	base := d.Spec.Template.DeepCopy()
	if base.Labels != nil {
		delete(base.Labels, v1alpha1.LabelRollout)
		delete(base.Labels, v1alpha1.LabelRevision)
	}
	base.CreationTimestamp.Reset()
	want := revisionHash(d)
	if want == "" {
		return *base, false
	}
	sites := defaultedFields(base)
	if len(sites) > maxDefaultSites {
		// Too many combinations to try one by one: try all or nothing.
		all := base.DeepCopy()
		for _, s := range sites {
			s(all)
		}
		if plan.RevisionHash(all) == want {
			return *all, true
		}
		return *base, plan.RevisionHash(base) == want
	}
	// Try every subset of defaults to remove, most removed first: what a person writes is
	// usually without them.
	full := 1<<len(sites) - 1
	for mask := full; mask >= 0; mask-- {
		t := base.DeepCopy()
		for i, s := range sites {
			if mask&(1<<i) != 0 {
				s(t)
			}
		}
		if plan.RevisionHash(t) == want {
			return *t, true
		}
	}
	return *base, false
}

// maxDefaultSites bounds the search of restoreTemplate (2^n hashes).
const maxDefaultSites = 14

// defaultSite removes one default the API server fills into a Deployment's pod template.
type defaultSite func(t *corev1.PodTemplateSpec)

// defaultedFields lists the fields of t that hold the API server's default value (the
// defaults of a PodSpec that the Rollout CRD does not apply itself). Sites of the same
// kind are grouped per container or probe to keep the search small.
func defaultedFields(t *corev1.PodTemplateSpec) []defaultSite {
	var sites []defaultSite
	s := &t.Spec
	if s.DNSPolicy == corev1.DNSClusterFirst {
		sites = append(sites, func(t *corev1.PodTemplateSpec) { t.Spec.DNSPolicy = "" })
	}
	if s.RestartPolicy == corev1.RestartPolicyAlways {
		sites = append(sites, func(t *corev1.PodTemplateSpec) { t.Spec.RestartPolicy = "" })
	}
	if s.SecurityContext != nil && equality.Semantic.DeepEqual(*s.SecurityContext, corev1.PodSecurityContext{}) {
		sites = append(sites, func(t *corev1.PodTemplateSpec) { t.Spec.SecurityContext = nil })
	}
	if s.TerminationGracePeriodSeconds != nil && *s.TerminationGracePeriodSeconds == corev1.DefaultTerminationGracePeriodSeconds {
		sites = append(sites, func(t *corev1.PodTemplateSpec) { t.Spec.TerminationGracePeriodSeconds = nil })
	}
	if s.SchedulerName == corev1.DefaultSchedulerName {
		sites = append(sites, func(t *corev1.PodTemplateSpec) { t.Spec.SchedulerName = "" })
	}
	containers := func(t *corev1.PodTemplateSpec, init bool) []corev1.Container {
		if init {
			return t.Spec.InitContainers
		}
		return t.Spec.Containers
	}
	for _, init := range []bool{false, true} {
		for i, c := range containers(t, init) {
			if c.TerminationMessagePath == corev1.TerminationMessagePathDefault && c.TerminationMessagePolicy == corev1.TerminationMessageReadFile {
				sites = append(sites, func(t *corev1.PodTemplateSpec) {
					c := &containers(t, init)[i]
					c.TerminationMessagePath, c.TerminationMessagePolicy = "", ""
				})
			}
			if c.ImagePullPolicy == defaultPullPolicy(c.Image) {
				sites = append(sites, func(t *corev1.PodTemplateSpec) { containers(t, init)[i].ImagePullPolicy = "" })
			}
			probes := []func(c *corev1.Container) *corev1.Probe{
				func(c *corev1.Container) *corev1.Probe { return c.LivenessProbe },
				func(c *corev1.Container) *corev1.Probe { return c.ReadinessProbe },
				func(c *corev1.Container) *corev1.Probe { return c.StartupProbe },
			}
			for _, probe := range probes {
				p := probe(&c)
				if p == nil || p.TimeoutSeconds != 1 || p.PeriodSeconds != 10 || p.SuccessThreshold != 1 || p.FailureThreshold != 3 {
					continue
				}
				sites = append(sites, func(t *corev1.PodTemplateSpec) {
					p := probe(&containers(t, init)[i])
					p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = 0, 0, 0, 0
				})
			}
		}
	}
	for i := range s.Volumes {
		mode := func(t *corev1.PodTemplateSpec) **int32 {
			switch vs := &t.Spec.Volumes[i].VolumeSource; {
			case vs.Secret != nil:
				return &vs.Secret.DefaultMode
			case vs.ConfigMap != nil:
				return &vs.ConfigMap.DefaultMode
			case vs.DownwardAPI != nil:
				return &vs.DownwardAPI.DefaultMode
			case vs.Projected != nil:
				return &vs.Projected.DefaultMode
			}
			return nil
		}
		if m := mode(t); m != nil && *m != nil && **m == corev1.SecretVolumeSourceDefaultMode {
			sites = append(sites, func(t *corev1.PodTemplateSpec) { *mode(t) = nil })
		}
	}
	return sites
}

// defaultPullPolicy is the pull policy the API server gives a container without one.
func defaultPullPolicy(image string) corev1.PullPolicy {
	ref := image
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return corev1.PullIfNotPresent
	}
	tag := ""
	if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
		tag = ref[i+1:]
	}
	if tag == "" || tag == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func undo(ctx context.Context, f *factory, name string, to int64) error {
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
	revs, err := listRevisions(ctx, c, ro)
	if err != nil {
		return err
	}
	target, err := pickRevision(ro, revs, to)
	if err != nil {
		return err
	}
	tmpl, exact := restoreTemplate(target)
	number := revisionNumber(target)
	if plan.RevisionHash(&tmpl) == plan.RevisionHash(&ro.Spec.Template) {
		return refuse("rollout %q already has the pod template of revision %d", name, number)
	}
	orig := ro.DeepCopy()
	ro.Spec.Template = tmpl
	if err := c.Patch(ctx, ro, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", ns, name, err)
	}
	var images []string
	for _, ct := range tmpl.Spec.Containers {
		images = append(images, ct.Image)
	}
	msg := fmt.Sprintf("rollout %q rolled back to revision %d (%s, %s)", name, number, revisionHash(target), strings.Join(images, ","))
	if !exact {
		msg += "; the template carries the API server's defaults, so it rolls out as a new revision"
	}
	fmt.Fprintln(f.streams.Out, msg)
	return nil
}
