// Package api_test checks the Stride API's validation against a real kube-apiserver with the
// generated CRDs: good objects are accepted with their defaults, bad ones are refused with a
// message that names the offending field.
package api_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	stridev1alpha1 "github.com/stride-dev/stride/api/v1alpha1"
	"github.com/stride-dev/stride/test/framework"
)

func TestMain(m *testing.M) {
	os.Exit(framework.Run(m, framework.Options{}))
}

// fixture is an object read from a YAML file with the "# want: <substring>" lines at its top.
type fixture struct {
	obj   *unstructured.Unstructured
	wants []string
}

func readFixture(t *testing.T, path string) fixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if w, ok := strings.CutPrefix(line, "# want:"); ok {
			f.wants = append(f.wants, strings.TrimSpace(w))
		}
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	f.obj = &unstructured.Unstructured{Object: m}
	return f
}

// create creates obj in ns (when it is namespaced) and removes a cluster-scoped object when
// the test ends.
func create(t *testing.T, obj *unstructured.Unstructured, ns string) error {
	t.Helper()
	env := framework.Default
	namespaced, err := env.Client.IsObjectNamespaced(obj)
	if err != nil {
		t.Fatalf("scope of %s: %v", obj.GetKind(), err)
	}
	if namespaced {
		obj.SetNamespace(ns)
	}
	err = env.Client.Create(context.Background(), obj)
	if err == nil && !namespaced {
		t.Cleanup(func() {
			_ = env.Client.Delete(context.Background(), obj)
		})
	}
	return err
}

func fixtures(t *testing.T, glob string) []string {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures match %s", glob)
	}
	return files
}

func TestGoodObjectsAreAccepted(t *testing.T) {
	ns := framework.Default.Namespace(t)
	files := fixtures(t, "testdata/*.yaml")
	kinds := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fx := readFixture(t, f)
			kinds[fx.obj.GetKind()] = true
			if err := create(t, fx.obj, ns); err != nil {
				t.Fatalf("want %s accepted, got: %v", f, err)
			}
		})
	}
	for _, k := range []string{"Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"} {
		if !kinds[k] {
			t.Errorf("no good fixture of kind %s", k)
		}
	}
}

func TestBadObjectsAreRefusedNamingTheField(t *testing.T) {
	ns := framework.Default.Namespace(t)
	files := fixtures(t, "testdata/bad/*.yaml")
	if len(files) < 14 {
		t.Errorf("%d bad fixtures, want at least 14", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			fx := readFixture(t, f)
			if len(fx.wants) == 0 {
				t.Fatalf("%s has no '# want:' line", f)
			}
			if !strings.HasPrefix(fx.wants[0], "spec.") && !strings.HasPrefix(fx.wants[0], "metadata.") {
				t.Fatalf("the first '# want:' of %s must name the field path, got %q", f, fx.wants[0])
			}
			err := create(t, fx.obj, ns)
			if err == nil {
				t.Fatalf("want %s refused, it was accepted", f)
			}
			if !apierrors.IsInvalid(err) {
				t.Errorf("want an Invalid (422) error, got %v", err)
			}
			for _, w := range fx.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestDefaults checks the defaults the controllers rely on, on a minimal Rollout and
// AnalysisTemplate.
func TestDefaults(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	ctx := context.Background()
	for _, strategy := range []string{"canary", "blueGreen", "rolling"} {
		t.Run(strategy, func(t *testing.T) {
			body := map[string]string{
				"canary":    "canary: {stableService: web}",
				"blueGreen": "blueGreen: {activeService: web}",
				"rolling":   "rolling: {}",
			}[strategy]
			obj := decode(t, `
apiVersion: stride.dev/v1alpha1
kind: Rollout
metadata: {name: minimal-`+strings.ToLower(strategy)+`}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
  strategy:
    `+body+`
`)
			if err := create(t, obj, ns); err != nil {
				t.Fatal(err)
			}
			ro := &stridev1alpha1.Rollout{}
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), ro); err != nil {
				t.Fatal(err)
			}
			s := ro.Spec
			checkInt32(t, "spec.replicas", s.Replicas, 1)
			checkInt32(t, "spec.revisionHistoryLimit", s.RevisionHistoryLimit, 10)
			checkInt32(t, "spec.progressDeadlineSeconds", s.ProgressDeadlineSeconds, 600)
			switch strategy {
			case "canary":
				checkInt32(t, "canary.scaleDownDelaySeconds", s.Strategy.Canary.ScaleDownDelaySeconds, 30)
				checkInt32(t, "canary.abortScaleDownDelaySeconds", s.Strategy.Canary.AbortScaleDownDelaySeconds, 30)
			case "blueGreen":
				bg := s.Strategy.BlueGreen
				if bg.AutoPromotionEnabled == nil || !*bg.AutoPromotionEnabled {
					t.Errorf("blueGreen.autoPromotionEnabled = %v, want true", bg.AutoPromotionEnabled)
				}
				checkInt32(t, "blueGreen.scaleDownDelaySeconds", bg.ScaleDownDelaySeconds, 30)
			case "rolling":
				r := s.Strategy.Rolling
				if r.MaxSurge == nil || *r.MaxSurge != intstr.FromString("25%") {
					t.Errorf("rolling.maxSurge = %v, want 25%%", r.MaxSurge)
				}
				if r.MaxUnavailable == nil || *r.MaxUnavailable != intstr.FromInt32(0) {
					t.Errorf("rolling.maxUnavailable = %v, want 0", r.MaxUnavailable)
				}
			}
		})
	}

	t.Run("metric", func(t *testing.T) {
		obj := decode(t, `
apiVersion: stride.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: minimal}
spec:
  metrics:
  - name: up
    provider:
      prometheus: {address: "http://prometheus:9090", query: up}
`)
		if err := create(t, obj, ns); err != nil {
			t.Fatal(err)
		}
		at := &stridev1alpha1.AnalysisTemplate{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), at); err != nil {
			t.Fatal(err)
		}
		m := at.Spec.Metrics[0]
		if m.NoDataPolicy != stridev1alpha1.NoDataInconclusive {
			t.Errorf("noDataPolicy = %q, want Inconclusive", m.NoDataPolicy)
		}
		checkInt32(t, "failureLimit", m.FailureLimit, 0)
		checkInt32(t, "inconclusiveLimit", m.InconclusiveLimit, 0)
		checkInt32(t, "consecutiveErrorLimit", m.ConsecutiveErrorLimit, 4)
		if m.Provider.Prometheus.Timeout == nil || *m.Provider.Prometheus.Timeout != "10s" {
			t.Errorf("prometheus.timeout = %v, want 10s", m.Provider.Prometheus.Timeout)
		}
	})
}

// TestScaleAndPrinterColumns checks what kubectl and an HPA see: the scale subresource, the
// short name and the printer columns.
func TestScaleAndPrinterColumns(t *testing.T) {
	env := framework.Default
	ns := env.Namespace(t)
	fx := readFixture(t, "testdata/rollout-canary.yaml")
	if err := create(t, fx.obj, ns); err != nil {
		t.Fatal(err)
	}
	name := fx.obj.GetName()
	if out, err := env.Kubectl(t, "scale", "-n", ns, "ro/"+name, "--replicas=7"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ro := &stridev1alpha1.Rollout{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
		t.Fatal(err)
	}
	checkInt32(t, "spec.replicas after kubectl scale", ro.Spec.Replicas, 7)

	out, err := env.Kubectl(t, "get", "ro", "-n", ns)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	want := []string{"NAME", "PHASE", "DESIRED", "UPDATED", "READY", "STEP", "WEIGHT", "AGE"}
	if strings.Join(header, " ") != strings.Join(want, " ") {
		t.Errorf("kubectl get ro columns = %v, want %v", header, want)
	}
	if !strings.Contains(out, name) {
		t.Errorf("kubectl get ro lacks %s:\n%s", name, out)
	}
}

// TestCRDsApplyClientSide checks that every CRD applies with a plain client-side
// `kubectl apply`, whose last-applied annotation must stay under 256 KiB.
func TestCRDsApplyClientSide(t *testing.T) {
	env := framework.Default
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := framework.CRDFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 256 * 1024
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := env.Kubectl(t, "apply", "--server-side=false", "-f", f)
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.Unmarshal(data, crd); err != nil {
				t.Fatal(err)
			}
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Name: crd.Name}, got); err != nil {
				t.Fatal(err)
			}
			ann := got.Annotations["kubectl.kubernetes.io/last-applied-configuration"]
			if ann == "" {
				t.Fatalf("%s has no last-applied annotation after kubectl apply", crd.Name)
			}
			if len(ann) >= limit {
				t.Errorf("last-applied annotation of %s is %d bytes, want < %d", crd.Name, len(ann), limit)
			}
			t.Logf("%s: last-applied annotation %d bytes (%.0f%% of the limit)", crd.Name, len(ann), 100*float64(len(ann))/limit)
		})
	}
}

func decode(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func checkInt32(t *testing.T, what string, got *int32, want int32) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is unset, want %d", what, want)
		return
	}
	if *got != want {
		t.Errorf("%s = %d, want %d", what, *got, want)
	}
}
