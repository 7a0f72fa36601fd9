package lint

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newLinter(t *testing.T) *Linter {
	t.Helper()
	l, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

func readSource(t *testing.T, path string) Source {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Source{Name: path, Data: data}
}

// wants returns the "# want: <substring>" lines at the top of a fixture.
func wants(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if w, ok := strings.CutPrefix(line, "# want:"); ok {
			out = append(out, strings.TrimSpace(w))
		}
	}
	return out
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestGoodFilesAreClean(t *testing.T) {
	l := newLinter(t)
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := l.Lint(context.Background(), []Source{readSource(t, f)}, Options{})
			if len(res.Problems) > 0 {
				t.Errorf("want no problems, got:\n%s", strings.Join(problemStrings(res.Problems), "\n"))
			}
			if res.Objects == 0 {
				t.Errorf("no Stride objects checked")
			}
		})
	}
}

func TestBadFilesAreRejected(t *testing.T) {
	lintFixtures(t, "testdata/bad/*.yaml")
}

// TestAPIBadFixturesAreRejected checks that lint refuses every object the API server
// refuses in the API validation suite.
func TestAPIBadFixturesAreRejected(t *testing.T) {
	files, _ := filepath.Glob("../../../test/e2e/api/testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Skip("no API validation fixtures in test/e2e/api/testdata/bad")
	}
	lintFixtures(t, "../../../test/e2e/api/testdata/bad/*.yaml")
}

func lintFixtures(t *testing.T, glob string) {
	t.Helper()
	l := newLinter(t)
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Fatalf("no fixtures match %s", glob)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := readSource(t, f)
			ws := wants(src.Data)
			if len(ws) == 0 {
				t.Fatalf("%s has no '# want:' line", f)
			}
			res := l.Lint(context.Background(), []Source{src}, Options{})
			got := problemStrings(res.Problems)
			if res.Errors() == 0 {
				t.Errorf("want the file rejected, got no errors:\n%s", strings.Join(got, "\n"))
			}
			for _, w := range ws {
				found := false
				for _, g := range got {
					if strings.Contains(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("want a problem containing %q, got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestWarningsDoNotFailUnlessStrict(t *testing.T) {
	l := newLinter(t)
	files, _ := filepath.Glob("testdata/warn/*.yaml")
	if len(files) == 0 {
		t.Fatal("no warning fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := readSource(t, f)
			want := wants(src.Data)[0]
			res := l.Lint(context.Background(), []Source{src}, Options{})
			if res.Errors() != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), want) {
				t.Fatalf("want one warning containing %q and no errors, got %v", want, problemStrings(res.Problems))
			}
			if res := l.Lint(context.Background(), []Source{src}, Options{Strict: true}); res.Errors() != 1 {
				t.Errorf("with Strict want the warning to count as an error, got %v", problemStrings(res.Problems))
			}
		})
	}
}

// TestSamplesAreClean lints the samples the project ships (what users copy must pass) and
// the objects the API validation suite expects the API server to accept.
func TestSamplesAreClean(t *testing.T) {
	for _, glob := range []string{"../../../config/samples/*.yaml", "../../../test/e2e/api/testdata/*.yaml"} {
		t.Run(glob, func(t *testing.T) { lintClean(t, glob) })
	}
}

func lintClean(t *testing.T, glob string) {
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Skip("no files")
	}
	var srcs []Source
	for _, f := range files {
		srcs = append(srcs, readSource(t, f))
	}
	res := newLinter(t).Lint(context.Background(), srcs, Options{})
	if res.Errors() != 0 {
		t.Errorf("want no errors, got:\n%s", strings.Join(problemStrings(res.Problems), "\n"))
	}
	if res.Objects == 0 {
		t.Errorf("no Stride objects found in the samples")
	}
}

func TestProblemLines(t *testing.T) {
	src := Source{Name: "app.yaml", Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
---
apiVersion: stride.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: app, image: nginx}]
  strategy:
    canary:
      stableService: web
      steps:
      - setWeight: 20
      - pause:
          duration: soon
      - setWeight: 120
---
apiVersion: stride.dev/v1alpha1
kind: Rollout
metadata:
  name: two
spec:
  selector:
    matchLabels: {app: two}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers: [{name: app, image: nginx}]
  strategy: {}
`)}
	res := newLinter(t).Lint(context.Background(), []Source{src}, Options{})
	type loc struct {
		Line  int
		Field string
	}
	var got []loc
	for _, p := range res.Problems {
		got = append(got, loc{p.Line, p.Field})
	}
	want := []loc{
		{23, "spec.strategy.canary.steps[1].pause.duration"},
		{24, "spec.strategy.canary.steps[2].setWeight"},
		{38, "spec.strategy"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem locations (-want +got):\n%s\n%s", diff, strings.Join(problemStrings(res.Problems), "\n"))
	}
	if res.Objects != 2 {
		t.Errorf("Objects = %d, want 2 (the ConfigMap is not a Stride object)", res.Objects)
	}
}

func TestUndefinedTemplateCanBeMarkedExternal(t *testing.T) {
	l := newLinter(t)
	src := readSource(t, "testdata/bad/undefined-template.yaml")
	if res := l.Lint(context.Background(), []Source{src}, Options{}); len(res.Problems) != 1 || res.Problems[0].Rule != RuleUndefinedTemplate {
		t.Fatalf("without --external-templates want one %s problem, got %v", RuleUndefinedTemplate, problemStrings(res.Problems))
	}
	if res := l.Lint(context.Background(), []Source{src}, Options{ExternalTemplates: []string{"error-rate"}}); len(res.Problems) != 0 {
		t.Errorf("with the template external want no problems, got %v", problemStrings(res.Problems))
	}
}

func TestTemplatesFromOtherFilesCount(t *testing.T) {
	l := newLinter(t)
	rollout := readSource(t, "testdata/bad/undefined-template.yaml")
	tmpl := Source{Name: "templates.yaml", Data: []byte(`apiVersion: stride.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
  - name: errors
    successCondition: result < 0.01
    provider: {prometheus: {address: "http://prom:9090", query: "up"}}
`)}
	if res := l.Lint(context.Background(), []Source{rollout, tmpl}, Options{}); len(res.Problems) != 0 {
		t.Errorf("want no problems, got %v", problemStrings(res.Problems))
	}
}

func TestRulesCanBeDisabled(t *testing.T) {
	l := newLinter(t)
	src := readSource(t, "testdata/warn/trailing-pause.yaml")
	if res := l.Lint(context.Background(), []Source{src}, Options{Disable: []string{RuleTrailingPause}}); len(res.Problems) != 0 {
		t.Errorf("with the rule disabled by flag want no problems, got %v", problemStrings(res.Problems))
	}
	annotated := Source{Name: "a.yaml", Data: bytes.Replace(src.Data, []byte("  name: trailing-pause\n"),
		[]byte("  name: trailing-pause\n  annotations: {stride.dev/lint-disable: trailing-indefinite-pause}\n"), 1)}
	if res := l.Lint(context.Background(), []Source{annotated}, Options{}); len(res.Problems) != 0 {
		t.Errorf("with the rule disabled by annotation want no problems, got %v", problemStrings(res.Problems))
	}
}

func TestSplitPath(t *testing.T) {
	got := splitPath("spec.template.metadata.labels[stride.dev/x].a[3]")
	want := []string{"spec", "template", "metadata", "labels", "[stride.dev/x]", "a", "[3]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitPath (-want +got):\n%s", diff)
	}
}

func TestEveryRuleIsDocumented(t *testing.T) {
	for _, r := range []string{RuleNoSetWeight, RuleDecreasingWeight, RuleTrailingPause, RuleUndefinedService,
		RuleUndefinedTemplate, RuleStartingStep, RuleAutoPromotion, RuleCondition, RuleNoCondition} {
		if Rules[r] == "" {
			t.Errorf("rule %s has no description", r)
		}
	}
}
