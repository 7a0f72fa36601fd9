package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// rolloutView is everything the tree shows of one Rollout, fetched together.
type rolloutView struct {
	Rollout *v1alpha1.Rollout
	// Revisions are the revision Deployments, newest revision number first.
	Revisions []appsv1.Deployment
	// Runs are the Rollout's AnalysisRuns by name.
	Runs map[string]*v1alpha1.AnalysisRun
}

// getRollout reads one Rollout, with a clear error when it does not exist.
func getRollout(ctx context.Context, c client.Client, ns, name string) (*v1alpha1.Rollout, error) {
	var ro v1alpha1.Rollout
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &notFoundError{msg: fmt.Sprintf("rollout %q not found in namespace %q", name, ns), err: err}
		}
		return nil, fmt.Errorf("get rollout %s/%s: %w", ns, name, err)
	}
	return &ro, nil
}

// fetchView reads a Rollout, its revision Deployments and its AnalysisRuns.
func fetchView(ctx context.Context, c client.Client, ns, name string) (*rolloutView, error) {
	ro, err := getRollout(ctx, c, ns, name)
	if err != nil {
		return nil, err
	}
	revs, err := listRevisions(ctx, c, ro)
	if err != nil {
		return nil, err
	}
	var runs v1alpha1.AnalysisRunList
	if err := c.List(ctx, &runs, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelRollout: name}); err != nil {
		return nil, fmt.Errorf("list AnalysisRuns of rollout %s/%s: %w", ns, name, err)
	}
	v := &rolloutView{Rollout: ro, Revisions: revs, Runs: map[string]*v1alpha1.AnalysisRun{}}
	for i := range runs.Items {
		v.Runs[runs.Items[i].Name] = &runs.Items[i]
	}
	return v, nil
}

// listRevisions lists the revision Deployments of a Rollout, newest first. Deployments
// left by an earlier Rollout of the same name (another owner UID) are skipped.
func listRevisions(ctx context.Context, c client.Client, ro *v1alpha1.Rollout) ([]appsv1.Deployment, error) {
	var deps appsv1.DeploymentList
	if err := c.List(ctx, &deps, client.InNamespace(ro.Namespace), client.MatchingLabels{v1alpha1.LabelRollout: ro.Name}); err != nil {
		return nil, fmt.Errorf("list revisions of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	var out []appsv1.Deployment
	for _, d := range deps.Items {
		if owner := metav1.GetControllerOf(&d); owner != nil && ro.UID != "" && owner.UID != ro.UID {
			continue
		}
		out = append(out, d)
	}
	sortRevisions(out)
	return out, nil
}

func sortRevisions(deps []appsv1.Deployment) {
	sort.SliceStable(deps, func(i, j int) bool {
		a, b := revisionNumber(&deps[i]), revisionNumber(&deps[j])
		if a != b {
			return a > b
		}
		return deps[i].Name < deps[j].Name
	})
}

// revisionNumber is the stride.dev/revision-number of a revision Deployment (0 if unset).
func revisionNumber(d *appsv1.Deployment) int64 {
	n, _ := strconv.ParseInt(d.Annotations[v1alpha1.AnnotationRevisionNumber], 10, 64)
	return n
}

// revisionHash is the stride.dev/revision of a revision Deployment.
func revisionHash(d *appsv1.Deployment) string {
	return d.Labels[v1alpha1.LabelRevision]
}

// notFoundError says plainly that a Rollout does not exist; apierrors.IsNotFound still
// recognises it.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return e.err }

// isForbidden reports an error of access rights.
func isForbidden(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)
}
