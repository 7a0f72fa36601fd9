package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/stride-dev/stride/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is the fixed clock of the tests.
var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *metav1.Time {
	t := metav1.NewTime(now.Add(-d))
	return &t
}

func dur(s string) *v1alpha1.Duration {
	d := v1alpha1.Duration(s)
	return &d
}

// golden compares got with testdata/NAME.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
	}
}

// Revision hashes of the fixtures.
const (
	hashV1 = "7c6d5b4a3"
	hashV2 = "5d8f7c9b4"
)

func podTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// canaryRollout is rollout shop/web with a five-step canary, at rest on revision 1.
func canaryRollout() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 2, UID: "uid-web",
			CreationTimestamp: metav1.NewTime(now.Add(-26 * time.Hour))},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web", "nginx:1.27"),
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				StableService: "web-stable",
				CanaryService: "web-canary",
				Steps: []v1alpha1.CanaryStep{
					{SetWeight: ptr.To[int32](25)},
					{Pause: &v1alpha1.PauseStep{Duration: dur("30s")}},
					{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: "success-rate"}}}},
					{SetWeight: ptr.To[int32](50)},
					{Pause: &v1alpha1.PauseStep{}},
				},
			}},
		},
		Status: v1alpha1.RolloutStatus{
			ObservedGeneration: 2,
			Phase:              v1alpha1.RolloutPhaseHealthy,
			Message:            "revision " + hashV1 + " is healthy: 4/4 pods available",
			StableRevision:     hashV1,
			UpdatedRevision:    hashV1,
			StepCount:          5,
			Step:               "5/5",
			Weights:            &v1alpha1.TrafficWeights{Canary: 0, Stable: 100},
			Replicas:           4, UpdatedReplicas: 4, ReadyReplicas: 4, AvailableReplicas: 4,
			RevisionNumber: 1,
			Conditions: []metav1.Condition{
				{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonRolloutHealthy},
			},
		},
	}
}

// canaryMidPause: revision 2 at 25%, 12 seconds into the 30s pause of step 2.
func canaryMidPause() *v1alpha1.Rollout {
	ro := canaryRollout()
	ro.Spec.Template = podTemplate("web", "nginx:1.28")
	ro.Generation = 3
	ro.Status = v1alpha1.RolloutStatus{
		ObservedGeneration: 3,
		Phase:              v1alpha1.RolloutPhasePaused,
		Message:            "canary at 25%, paused for 30s until 12:00:18 UTC",
		StableRevision:     hashV1,
		UpdatedRevision:    hashV2,
		CurrentStepIndex:   ptr.To[int32](1),
		StepCount:          5,
		Step:               "2/5",
		Weights:            &v1alpha1.TrafficWeights{Canary: 25, Stable: 75},
		Replicas:           4, UpdatedReplicas: 1, ReadyReplicas: 4, AvailableReplicas: 4,
		StepStartedAt:  ago(12 * time.Second),
		PauseReason:    v1alpha1.PauseReasonStep,
		RevisionNumber: 2,
		HandledRequests: v1alpha1.HandledRequests{
			Promote: "2026-11-22T10:00:00Z",
		},
		Conditions: []metav1.Condition{
			{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonPausedStep},
			{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonUpdating},
			{Type: v1alpha1.ConditionPaused, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonPausedStep},
		},
	}
	return ro
}

// canaryAborted: the analysis of step 3 failed; all traffic is back on revision 1.
func canaryAborted() *v1alpha1.Rollout {
	ro := canaryMidPause()
	ro.Status.Phase = v1alpha1.RolloutPhaseDegraded
	ro.Status.Message = "analysis web-" + hashV2 + "-step3 failed: success-rate 0.91 below 0.99; all traffic on stable revision " + hashV1 + " (retry with `kubectl stride retry web`)"
	ro.Status.CurrentStepIndex = ptr.To[int32](2)
	ro.Status.Step = "3/5"
	ro.Status.Weights = &v1alpha1.TrafficWeights{Canary: 0, Stable: 100}
	ro.Status.PauseReason = ""
	ro.Status.StepStartedAt = ago(2 * time.Minute)
	ro.Status.Abort = &v1alpha1.AbortStatus{
		Reason:   v1alpha1.ReasonAnalysisFailed,
		Message:  "analysis web-" + hashV2 + "-step3 failed: success-rate 0.91 below 0.99",
		Revision: hashV2,
		At:       *ago(95 * time.Second),
	}
	ro.Status.AnalysisRuns = []v1alpha1.RolloutAnalysisRunStatus{
		{Name: "web-" + hashV2 + "-step3", Kind: v1alpha1.AnalysisKindStep, Phase: v1alpha1.AnalysisPhaseFailed, Message: "success-rate 0.91 below 0.99"},
	}
	ro.Status.Conditions = []metav1.Condition{
		{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonAnalysisFailed},
		{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAnalysisFailed},
		{Type: v1alpha1.ConditionAborted, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAnalysisFailed},
		{Type: v1alpha1.ConditionAnalysisFailed, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAnalysisFailed},
	}
	return ro
}

// blueGreenWaiting: rollout shop/api, preview revision 2 ready and analysed, waiting for a
// person to promote it.
func blueGreenWaiting() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Generation: 4, UID: "uid-api",
			CreationTimestamp: metav1.NewTime(now.Add(-3 * 24 * time.Hour))},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Template: podTemplate("api", "example/api:2.0"),
			Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{
				ActiveService:        "api",
				PreviewService:       "api-preview",
				AutoPromotionEnabled: ptr.To(false),
				PrePromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{Name: "smoke"}}},
			}},
		},
		Status: v1alpha1.RolloutStatus{
			ObservedGeneration: 4,
			Phase:              v1alpha1.RolloutPhasePaused,
			Message:            "preview revision 8a9b7c6d5 ready, waiting for promotion (kubectl stride promote api)",
			StableRevision:     "6f7b8c9d4",
			UpdatedRevision:    "8a9b7c6d5",
			ActiveRevision:     "6f7b8c9d4",
			PreviewRevision:    "8a9b7c6d5",
			Replicas:           4, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4,
			StepStartedAt:  ago(3 * time.Minute),
			PauseReason:    v1alpha1.PauseReasonBlueGreen,
			RevisionNumber: 3,
			AnalysisRuns: []v1alpha1.RolloutAnalysisRunStatus{
				{Name: "api-8a9b7c6d5-pre", Kind: v1alpha1.AnalysisKindPrePromotion, Phase: v1alpha1.AnalysisPhaseSuccessful},
			},
			Conditions: []metav1.Condition{
				{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonWaitingForPromotion},
				{Type: v1alpha1.ConditionPaused, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonWaitingForPromotion},
			},
		},
	}
}

func rollingRollout() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "worker", Namespace: "jobs", Generation: 1, UID: "uid-worker",
			CreationTimestamp: metav1.NewTime(now.Add(-90 * time.Second))},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To[int32](6),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "worker"}},
			Template: podTemplate("worker", "example/worker:1.4"),
			Strategy: v1alpha1.RolloutStrategy{Rolling: &v1alpha1.RollingStrategy{
				MaxSurge:       ptr.To(intstr.FromString("25%")),
				MaxUnavailable: ptr.To(intstr.FromInt32(0)),
			}},
		},
		Status: v1alpha1.RolloutStatus{
			ObservedGeneration: 1,
			Phase:              v1alpha1.RolloutPhaseProgressing,
			Message:            "rolling: 2/6 pods updated",
			StableRevision:     "1a2b3c4d5",
			UpdatedRevision:    "9e8d7c6b5",
			Replicas:           8, UpdatedReplicas: 2, ReadyReplicas: 6, AvailableReplicas: 6,
		},
	}
}

// revision is a revision Deployment of a Rollout.
func revision(ro *v1alpha1.Rollout, hash string, number int64, image string, replicas, ready int32) *appsv1.Deployment {
	labels := map[string]string{"app": ro.Spec.Selector.MatchLabels["app"], v1alpha1.LabelRollout: ro.Name, v1alpha1.LabelRevision: hash}
	tmpl := podTemplate(labels["app"], image)
	tmpl.Labels = labels
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: ro.Name + "-" + hash, Namespace: ro.Namespace,
			Labels:      map[string]string{v1alpha1.LabelRollout: ro.Name, v1alpha1.LabelRevision: hash},
			Annotations: map[string]string{v1alpha1.AnnotationRevisionNumber: itoa(number)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout",
				Name: ro.Name, UID: ro.UID, Controller: ptr.To(true)}},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl,
		},
		Status: appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: replicas},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// analysisRun is a run with one or more metrics.
func analysisRun(ro *v1alpha1.Rollout, name string, kind v1alpha1.AnalysisKind, phase v1alpha1.AnalysisPhase, metrics []v1alpha1.Metric, results []v1alpha1.MetricResult) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ro.Namespace,
			Labels: map[string]string{v1alpha1.LabelRollout: ro.Name, v1alpha1.LabelAnalysisKind: string(kind)}},
		Spec:   v1alpha1.AnalysisRunSpec{Metrics: metrics},
		Status: v1alpha1.AnalysisRunStatus{Phase: phase, MetricResults: results, StartedAt: ago(3 * time.Minute)},
	}
}

func measurements(values ...string) []v1alpha1.Measurement {
	var out []v1alpha1.Measurement
	for i, v := range values {
		phase := v1alpha1.AnalysisPhaseSuccessful
		if v[0] == '!' {
			v, phase = v[1:], v1alpha1.AnalysisPhaseFailed
		}
		out = append(out, v1alpha1.Measurement{Phase: phase, Value: v, StartedAt: *ago(time.Duration(len(values)-i) * 30 * time.Second)})
	}
	return out
}

func successRateMetric() v1alpha1.Metric {
	return v1alpha1.Metric{Name: "success-rate", Interval: dur("30s"), Count: ptr.To[int32](5), SuccessCondition: "result >= 0.99",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "up"}}}
}

// views of the golden scenarios.

func viewMidPause() *rolloutView {
	ro := canaryMidPause()
	return &rolloutView{
		Rollout: ro,
		Revisions: []appsv1.Deployment{
			*revision(ro, hashV2, 2, "nginx:1.28", 1, 1),
			*revision(ro, hashV1, 1, "nginx:1.27", 4, 4),
		},
		Runs: map[string]*v1alpha1.AnalysisRun{},
	}
}

func viewAborted() *rolloutView {
	ro := canaryAborted()
	canary := revision(ro, hashV2, 2, "nginx:1.28", 1, 1)
	canary.Annotations[v1alpha1.AnnotationScaleDownAt] = now.Add(28 * time.Second).Format(time.RFC3339)
	run := analysisRun(ro, "web-"+hashV2+"-step3", v1alpha1.AnalysisKindStep, v1alpha1.AnalysisPhaseFailed,
		[]v1alpha1.Metric{successRateMetric()},
		[]v1alpha1.MetricResult{{Name: "success-rate", Phase: v1alpha1.AnalysisPhaseFailed, Count: 3, Successful: 2, Failed: 1,
			Measurements: measurements("0.998", "0.995", "!0.91")}})
	return &rolloutView{
		Rollout:   ro,
		Revisions: []appsv1.Deployment{*canary, *revision(ro, hashV1, 1, "nginx:1.27", 4, 4)},
		Runs:      map[string]*v1alpha1.AnalysisRun{run.Name: run},
	}
}

func viewBlueGreen() *rolloutView {
	ro := blueGreenWaiting()
	latency := v1alpha1.Metric{Name: "p99-latency", SuccessCondition: "result < 0.3",
		Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://latency/p99"}}}
	run := analysisRun(ro, "api-8a9b7c6d5-pre", v1alpha1.AnalysisKindPrePromotion, v1alpha1.AnalysisPhaseSuccessful,
		[]v1alpha1.Metric{successRateMetric(), latency},
		[]v1alpha1.MetricResult{
			{Name: "success-rate", Phase: v1alpha1.AnalysisPhaseSuccessful, Count: 5, Successful: 5, Measurements: measurements("0.999", "1")},
			{Name: "p99-latency", Phase: v1alpha1.AnalysisPhaseSuccessful, Count: 1, Successful: 1, Measurements: measurements("0.12")},
		})
	return &rolloutView{
		Rollout: ro,
		Revisions: []appsv1.Deployment{
			*revision(ro, "8a9b7c6d5", 3, "example/api:2.0", 2, 2),
			*revision(ro, "6f7b8c9d4", 2, "example/api:1.9", 2, 2),
			*revision(ro, "3c4d5e6f7", 1, "example/api:1.8", 0, 0),
		},
		Runs: map[string]*v1alpha1.AnalysisRun{run.Name: run},
	}
}

func viewHealthy() *rolloutView {
	ro := canaryRollout()
	ro.Spec.Template = podTemplate("web", "nginx:1.28")
	ro.Status.StableRevision, ro.Status.UpdatedRevision, ro.Status.RevisionNumber = hashV2, hashV2, 2
	ro.Status.Message = "revision " + hashV2 + " is healthy: 4/4 pods available"
	return &rolloutView{
		Rollout: ro,
		Revisions: []appsv1.Deployment{
			*revision(ro, hashV2, 2, "nginx:1.28", 4, 4),
			*revision(ro, hashV1, 1, "nginx:1.27", 0, 0),
		},
		Runs: map[string]*v1alpha1.AnalysisRun{},
	}
}

// newFakeClient holds objs; Rollouts have a status subresource, as in the cluster.
func newFakeClient(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(Scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Rollout{}, &v1alpha1.AnalysisRun{}).Build()
}

// result is the outcome of one command run.
type result struct {
	out, errOut string
	err         error
}

// run executes `kubectl stride ARGS` in-process against c, with the fixed clock.
func run(t *testing.T, c client.Client, args ...string) result {
	t.Helper()
	return runWithClock(t, c, clocktesting.NewFakePassiveClock(now), args...)
}

func runWithClock(t *testing.T, c client.Client, clk *clocktesting.FakePassiveClock, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewRootCommandWithOptions(Options{
		Streams:   genericiooptions.IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut},
		Client:    c,
		Clock:     clk,
		Requester: "kubectl-stride (tester)",
	})
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

func getRO(t *testing.T, c client.Client, ns, name string) *v1alpha1.Rollout {
	t.Helper()
	var ro v1alpha1.Rollout
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
		t.Fatal(err)
	}
	return &ro
}
