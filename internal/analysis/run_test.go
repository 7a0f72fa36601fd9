package analysis

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func rollout() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "uid-1"}}
}

func promMetric(name, query string) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:             name,
		SuccessCondition: "result >= 0.99",
		Provider:         v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: query}},
	}
}

func arg(name string, value ...string) v1alpha1.Argument {
	a := v1alpha1.Argument{Name: name}
	if len(value) > 0 {
		a.Value = ptr.To(value[0])
	}
	return a
}

func secretArg(name, secret, key string) v1alpha1.Argument {
	return v1alpha1.Argument{Name: name, ValueFrom: &v1alpha1.ArgumentValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: secret, Key: key}}}
}

func TestRunName(t *testing.T) {
	tests := []struct {
		kind    v1alpha1.AnalysisKind
		step    *int32
		attempt int32
		want    string
	}{
		{v1alpha1.AnalysisKindStep, ptr.To[int32](2), 0, "web-6f7d9c8b-step-2"},
		{v1alpha1.AnalysisKindBackground, nil, 0, "web-6f7d9c8b-background"},
		{v1alpha1.AnalysisKindPrePromotion, nil, 1, "web-6f7d9c8b-prepromotion-retry1"},
		{v1alpha1.AnalysisKindPostPromotion, nil, 0, "web-6f7d9c8b-postpromotion"},
	}
	for _, tt := range tests {
		if got := RunName("web", "6f7d9c8b", tt.kind, tt.step, tt.attempt); got != tt.want {
			t.Errorf("RunName(%s, %v, %d) = %q, want %q", tt.kind, tt.step, tt.attempt, got, tt.want)
		}
	}
	long := strings.Repeat("a", 250)
	n1 := RunName(long, "6f7d9c8b", v1alpha1.AnalysisKindStep, ptr.To[int32](1), 0)
	n2 := RunName(long, "6f7d9c8b", v1alpha1.AnalysisKindStep, ptr.To[int32](2), 0)
	if len(n1) > 253 || n1 == n2 || n1 != RunName(long, "6f7d9c8b", v1alpha1.AnalysisKindStep, ptr.To[int32](1), 0) {
		t.Fatalf("long names must be at most 253 bytes, distinct and stable: %q, %q", n1, n2)
	}
}

func TestBuildRun(t *testing.T) {
	successRate := Template{Name: "success-rate", Spec: v1alpha1.AnalysisTemplateSpec{
		Args: []v1alpha1.Argument{arg("service"), arg("window", "1m")},
		Metrics: []v1alpha1.Metric{promMetric("success-rate",
			`sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[{{args.window}}])) / sum(rate(http_requests_total{service="{{ args.service }}"}[{{args.window}}]))`)},
	}}
	latency := Template{Name: "latency", ClusterScope: true, Spec: v1alpha1.AnalysisTemplateSpec{
		Args:    []v1alpha1.Argument{arg("service"), secretArg("token", "prom", "token")},
		Metrics: []v1alpha1.Metric{promMetric("latency", `latency{rollout="{{rollout.name}}",ns="{{rollout.namespace}}",rev="{{rollout.canaryRevision}}",stable="{{rollout.stableRevision}}"}`)},
	}}
	in := RunInput{
		Rollout:   rollout(),
		Kind:      v1alpha1.AnalysisKindStep,
		StepIndex: ptr.To[int32](2),
		Analysis: v1alpha1.RolloutAnalysis{
			Templates: []v1alpha1.AnalysisTemplateRef{{Name: "success-rate"}, {Name: "latency", ClusterScope: true}},
			Args:      []v1alpha1.Argument{arg("service", "web-canary"), arg("unused", "x")},
		},
		Templates:      []Template{successRate, latency},
		StableRevision: "11111111",
		CanaryRevision: "22222222",
	}
	got, err := BuildRun(in)
	if err != nil {
		t.Fatal(err)
	}
	lat := promMetric("latency", `latency{rollout="web",ns="shop",rev="22222222",stable="11111111"}`)
	want := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "web-22222222-step-2",
			Namespace: "shop",
			Labels: map[string]string{
				v1alpha1.LabelRollout:      "web",
				v1alpha1.LabelRevision:     "22222222",
				v1alpha1.LabelAnalysisKind: "Step",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "stride.dev/v1alpha1", Kind: "Rollout", Name: "web", UID: "uid-1",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: v1alpha1.AnalysisRunSpec{
			Args: []v1alpha1.Argument{arg("service", "web-canary"), arg("window", "1m"), secretArg("token", "prom", "token")},
			Metrics: []v1alpha1.Metric{
				successRate.Spec.Metrics[0], // args stay placeholders until each measurement
				lat,
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("BuildRun mismatch (-want +got):\n%s", diff)
	}
	// The templates are not changed.
	if !strings.Contains(latency.Spec.Metrics[0].Provider.Prometheus.Query, "{{rollout.name}}") {
		t.Fatal("BuildRun changed the template")
	}
	// The same input builds the same run.
	again, err := BuildRun(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Fatalf("BuildRun is not deterministic (-first +second):\n%s", diff)
	}
}

func TestBuildRunArgs(t *testing.T) {
	tpl := func(name string, args ...v1alpha1.Argument) Template {
		return Template{Name: name, Spec: v1alpha1.AnalysisTemplateSpec{Args: args, Metrics: []v1alpha1.Metric{promMetric(name, "up")}}}
	}
	tests := []struct {
		name      string
		templates []Template
		given     []v1alpha1.Argument
		want      []v1alpha1.Argument
	}{
		{"the Rollout's value wins over the default", []Template{tpl("a", arg("x", "default"))}, []v1alpha1.Argument{arg("x", "given")}, []v1alpha1.Argument{arg("x", "given")}},
		{"the default applies when the Rollout gives none", []Template{tpl("a", arg("x", "default"))}, nil, []v1alpha1.Argument{arg("x", "default")}},
		{"a Secret from the Rollout wins over the default", []Template{tpl("a", arg("x", "default"))}, []v1alpha1.Argument{secretArg("x", "s", "k")}, []v1alpha1.Argument{secretArg("x", "s", "k")}},
		{"an arg in two templates is one arg", []Template{tpl("a", arg("x")), tpl("b", arg("x", "d"))}, nil, []v1alpha1.Argument{arg("x", "d")}},
		{"equal defaults in two templates", []Template{tpl("a", arg("x", "d")), tpl("b", arg("x", "d"))}, nil, []v1alpha1.Argument{arg("x", "d")}},
		{"different defaults overridden by the Rollout", []Template{tpl("a", arg("x", "1")), tpl("b", arg("x", "2"))}, []v1alpha1.Argument{arg("x", "3")}, []v1alpha1.Argument{arg("x", "3")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, err := BuildRun(RunInput{Rollout: rollout(), Kind: v1alpha1.AnalysisKindBackground, CanaryRevision: "r",
				Analysis: v1alpha1.RolloutAnalysis{Args: tt.given}, Templates: tt.templates})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, run.Spec.Args); diff != "" {
				t.Fatalf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRunErrors(t *testing.T) {
	tpl := func(name string, args []v1alpha1.Argument, metrics ...v1alpha1.Metric) Template {
		return Template{Name: name, Spec: v1alpha1.AnalysisTemplateSpec{Args: args, Metrics: metrics}}
	}
	tests := []struct {
		name      string
		templates []Template
		given     []v1alpha1.Argument
		stable    string
		want      string
	}{
		{
			name:      "missing required arg",
			templates: []Template{tpl("success-rate", []v1alpha1.Argument{arg("service")}, promMetric("m", `x{s="{{args.service}}"}`))},
			want:      `arg "service" needs a value: template "success-rate" declares it without a default and the Rollout gives none`,
		},
		{
			name:      "an arg no template declares",
			templates: []Template{tpl("success-rate", nil, promMetric("m", `x{s="{{args.svc}}"}`))},
			given:     []v1alpha1.Argument{arg("svc", "web")},
			want:      `metric "m" of template "success-rate" uses {{args.svc}} but no template declares arg "svc"`,
		},
		{
			name:      "duplicate metric names",
			templates: []Template{tpl("a", nil, promMetric("m", "up")), tpl("b", nil, promMetric("m", "up"))},
			want:      `metric "m" is defined by both template "a" and template "b"`,
		},
		{
			name:      "different defaults",
			templates: []Template{tpl("a", []v1alpha1.Argument{arg("x", "1")}, promMetric("m1", "up")), tpl("b", []v1alpha1.Argument{arg("x", "2")}, promMetric("m2", "up"))},
			want:      `arg "x" has different defaults in template "a" and template "b"`,
		},
		{
			name:      "unknown built-in",
			templates: []Template{tpl("a", nil, promMetric("m", `x{r="{{rollout.revision}}"}`))},
			want:      `metric "m" of template "a": {{rollout.revision}} has no value`,
		},
		{
			name:      "a built-in without a value",
			templates: []Template{tpl("a", nil, promMetric("m", `x{r="{{rollout.stableRevision}}"}`))},
			want:      `metric "m" of template "a": {{rollout.stableRevision}} has no value`,
		},
		{
			name:      "unknown placeholder",
			templates: []Template{tpl("a", nil, promMetric("m", `x{r="{{service}}"}`))},
			want:      `metric "m" of template "a": unknown placeholder {{service}}`,
		},
		{
			name: "no templates",
			want: "build AnalysisRun: no templates",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildRun(RunInput{Rollout: rollout(), Kind: v1alpha1.AnalysisKindBackground, CanaryRevision: "r", StableRevision: tt.stable,
				Analysis: v1alpha1.RolloutAnalysis{Args: tt.given}, Templates: tt.templates})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("BuildRun error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFetchTemplates(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	spec := v1alpha1.AnalysisTemplateSpec{Metrics: []v1alpha1.Metric{promMetric("m", "up")}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		&v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "success-rate", Namespace: "shop"}, Spec: spec},
		&v1alpha1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "other-ns", Namespace: "elsewhere"}, Spec: spec},
		&v1alpha1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "latency"}, Spec: spec},
	).Build()
	ctx := context.Background()

	got, err := FetchTemplates(ctx, c, "shop", []v1alpha1.AnalysisTemplateRef{{Name: "success-rate"}, {Name: "latency", ClusterScope: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Template{{Name: "success-rate", Spec: spec}, {Name: "latency", ClusterScope: true, Spec: spec}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("templates (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		ref  v1alpha1.AnalysisTemplateRef
		want string
	}{
		{v1alpha1.AnalysisTemplateRef{Name: "other-ns"}, `AnalysisTemplate "other-ns" not found in namespace "shop"`},
		{v1alpha1.AnalysisTemplateRef{Name: "success-rate", ClusterScope: true}, `ClusterAnalysisTemplate "success-rate" not found`},
	} {
		_, err := FetchTemplates(ctx, c, "shop", []v1alpha1.AnalysisTemplateRef{tt.ref})
		if err == nil || err.Error() != tt.want || !IsTemplateNotFound(err) {
			t.Errorf("FetchTemplates(%v) error = %v, want %q and IsTemplateNotFound", tt.ref, err, tt.want)
		}
	}
}

func TestResolveArgsAndSubstitute(t *testing.T) {
	secrets := func(_ context.Context, ns string, ref v1alpha1.SecretKeyRef) (string, error) {
		if ns == "shop" && ref.Name == "prom" && ref.Key == "tenant" {
			return "team-a", nil
		}
		return "", errors.New(`secrets "` + ref.Name + `" not found`)
	}
	ctx := context.Background()
	vars, err := ResolveArgs(ctx, "shop", []v1alpha1.Argument{arg("service", "web"), secretArg("tenant", "prom", "tenant"), arg("later")}, secrets)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Vars{"args.service": "web", "args.tenant": "team-a"}, vars); diff != "" {
		t.Fatalf("vars (-want +got):\n%s", diff)
	}
	got, err := vars.Substitute(`x{service="{{args.service}}",tenant="{{ args.tenant }}"}`)
	if err != nil || got != `x{service="web",tenant="team-a"}` {
		t.Fatalf("Substitute = %q, %v", got, err)
	}
	if _, err := vars.Substitute(`x{s="{{args.later}}"}`); err == nil || err.Error() != `arg "later" has no value (it is used as {{args.later}})` {
		t.Fatalf("a missing arg must be an error naming it, got %v", err)
	}
	if _, err := vars.Substitute(`{{args.service}} {{nope}}`); err == nil || !strings.Contains(err.Error(), "unknown placeholder {{nope}}") {
		t.Fatalf("an unknown placeholder must be an error naming it, got %v", err)
	}
	_, err = ResolveArgs(ctx, "shop", []v1alpha1.Argument{secretArg("token", "missing", "token")}, secrets)
	if err == nil || err.Error() != `read arg "token" from Secret missing key token: secrets "missing" not found` {
		t.Fatalf("ResolveArgs error = %v", err)
	}
}
