package analysis

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/common/model"
	"k8s.io/utils/ptr"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func TestPrometheusValue(t *testing.T) {
	tests := []struct {
		name    string
		in      model.Value
		want    Value
		wantErr string
	}{
		{name: "scalar", in: &model.Scalar{Value: 0.5}, want: Scalar(0.5)},
		{name: "NaN scalar", in: &model.Scalar{Value: model.SampleValue(math.NaN())}, want: Scalar(math.NaN())},
		{name: "empty vector is no data", in: model.Vector{}, want: Value{Reason: "query returned no series"}},
		{
			name: "vector sorted by labels",
			in: model.Vector{
				{Metric: model.Metric{"pod": "b"}, Value: 2},
				{Metric: model.Metric{"pod": "a"}, Value: 1},
			},
			want: Value{Samples: []Sample{{Value: 1.0, Labels: map[string]string{"pod": "a"}}, {Value: 2.0, Labels: map[string]string{"pod": "b"}}}},
		},
		{name: "range vector", in: model.Matrix{}, wantErr: "the query returned a range vector"},
		{name: "string", in: &model.String{Value: "hi"}, wantErr: `the query returned the string "hi", not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := prometheusValue(tt.in)
			if tt.wantErr != "" {
				var pe *PermanentError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &pe) {
					t.Fatalf("error = %v, want a permanent error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func webMetric(url string, opts ...func(*v1alpha1.WebMetric)) *v1alpha1.Metric {
	w := &v1alpha1.WebMetric{URL: url}
	for _, o := range opts {
		o(w)
	}
	return &v1alpha1.Metric{Name: "health", SuccessCondition: "result >= 0.99", Provider: v1alpha1.MetricProvider{Web: w}}
}

func jsonPath(p string) func(*v1alpha1.WebMetric) {
	return func(w *v1alpha1.WebMetric) { w.JSONPath = p }
}

func TestWebProviderValues(t *testing.T) {
	body := `{"data":{"rate":0.995,"ok":true,"text":"0.5","word":"high","none":null,"empty":[],
		"list":[0.9,0.8],"obj":{"a":1},"items":[{"rate":0.1},{"rate":0.2}]}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	p := NewWebProvider(nil)
	tests := []struct {
		path    string
		want    Value
		wantErr string
	}{
		{path: "{$.data.rate}", want: Scalar(0.995)},
		{path: "$.data.rate", want: Scalar(0.995)},
		{path: "data.rate", want: Scalar(0.995)},
		{path: "{.data.ok}", want: Bool(true)},
		{path: "{.data.text}", want: Scalar(0.5)},
		{path: "{.data.list}", want: List(0.9, 0.8)},
		{path: "{.data.items[*].rate}", want: List(0.1, 0.2)},
		{path: "{.data.none}", want: Value{Reason: `jsonPath "{.data.none}" is null`}},
		{path: "{.data.empty}", want: Value{Reason: `jsonPath "{.data.empty}" is an empty list`}},
		{path: "{.data.word}", wantErr: `jsonPath "{.data.word}": the value "high" is not a number`},
		{path: "{.data.obj}", wantErr: `jsonPath "{.data.obj}": the value is an object, not a number, bool or list`},
		{path: "{.data.missing}", wantErr: `jsonPath "{.data.missing}": missing is not found`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := p.Query(context.Background(), Request{Namespace: "shop", Metric: webMetric(srv.URL, jsonPath(tt.path))})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebProviderRequest(t *testing.T) {
	var gotMethod, gotBody, gotHeader, gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotBody, gotHeader, gotAuth, gotPath = r.Method, string(b), r.Header.Get("X-Service"), r.Header.Get("Authorization"), r.URL.Path
		_, _ = io.WriteString(w, `0.42`)
	}))
	defer srv.Close()
	secrets := func(_ context.Context, ns string, ref v1alpha1.SecretKeyRef) (string, error) {
		if ns == "shop" && ref.Name == "creds" && ref.Key == "token" {
			return "s3cret", nil
		}
		return "", fmt.Errorf("no Secret %s/%s", ns, ref.Name)
	}
	ms := NewMeasurer(secrets)
	m := webMetric(srv.URL+"/check/{{args.service}}", func(w *v1alpha1.WebMetric) {
		w.Method = http.MethodPost
		w.Body = `{"service":"{{args.service}}"}`
		w.Headers = []v1alpha1.WebHeader{{Key: "X-Service", Value: "{{args.service}}"}}
		w.Auth = &v1alpha1.ProviderAuth{BearerToken: &v1alpha1.SecretKeyRef{Name: "creds", Key: "token"}}
	})
	m.SuccessCondition = "result > 0.5"
	got := ms.Measure(context.Background(), "shop", m, Vars{"args.service": "web-canary"})
	want := Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "0.42", Message: "0.42 at or below 0.5", valueFirst: true}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Result{})); diff != "" {
		t.Fatalf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"POST", `{"service":"web-canary"}`, "web-canary", "Bearer s3cret", "/check/web-canary"},
		[]string{gotMethod, gotBody, gotHeader, gotAuth, gotPath}); diff != "" {
		t.Fatalf("request (-want +got):\n%s", diff)
	}
	if strings.Contains(m.Provider.Web.URL, "web-canary") {
		t.Fatal("Measure changed the metric it was given")
	}

	// Basic auth.
	secrets2 := func(_ context.Context, _ string, ref v1alpha1.SecretKeyRef) (string, error) {
		return ref.Key + "-value", nil
	}
	m.Provider.Web.Auth = &v1alpha1.ProviderAuth{Basic: &v1alpha1.BasicAuth{
		Username: v1alpha1.SecretKeyRef{Name: "b", Key: "user"}, Password: v1alpha1.SecretKeyRef{Name: "b", Key: "pass"}}}
	NewMeasurer(secrets2).Measure(context.Background(), "shop", m, Vars{"args.service": "x"})
	if gotAuth != "Basic dXNlci12YWx1ZTpwYXNzLXZhbHVl" { // user-value:pass-value
		t.Fatalf("Authorization = %q, want basic auth", gotAuth)
	}
}

func TestMeasureErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "upstream unavailable\n")
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/html":
			_, _ = io.WriteString(w, "<html>")
		}
	}))
	defer srv.Close()
	noSecrets := func(_ context.Context, ns string, ref v1alpha1.SecretKeyRef) (string, error) {
		return "", fmt.Errorf(`secrets %q not found`, ref.Name)
	}
	ms := NewMeasurer(noSecrets)
	tests := []struct {
		name      string
		metric    *v1alpha1.Metric
		vars      Vars
		message   string
		permanent bool
	}{
		{name: "HTTP error status", metric: webMetric(srv.URL + "/down"), message: "web error: HTTP 503: upstream unavailable"},
		{name: "not JSON", metric: webMetric(srv.URL + "/html"), message: "web error: the response is not JSON: invalid character '<' looking for beginning of value: <html>"},
		{name: "timeout", metric: webMetric(srv.URL+"/slow", func(w *v1alpha1.WebMetric) { w.Timeout = ptr.To(v1alpha1.Duration("100ms")) }), message: "context deadline exceeded"},
		{name: "missing arg", metric: webMetric(srv.URL + "/{{args.path}}"), message: `arg "path" has no value (it is used as {{args.path}})`, permanent: true},
		{name: "bad jsonPath", metric: webMetric(srv.URL+"/html", jsonPath("{.data[")), message: `web error: jsonPath "{.data[": unterminated array`, permanent: true},
		{name: "missing Secret", metric: webMetric(srv.URL+"/down", func(w *v1alpha1.WebMetric) {
			w.Auth = &v1alpha1.ProviderAuth{BearerToken: &v1alpha1.SecretKeyRef{Name: "creds", Key: "token"}}
		}), message: `web error: read bearer token from Secret creds key token: secrets "creds" not found`},
		{name: "bad CA", metric: webMetric(srv.URL+"/down", func(w *v1alpha1.WebMetric) {
			w.TLS = &v1alpha1.TLSConfig{CASecret: &v1alpha1.SecretKeyRef{Name: "ca", Key: "ca.crt"}}
		}), message: `web error: read CA bundle from Secret ca key ca.crt: secrets "ca" not found`},
		{name: "Prometheus refuses the connection", metric: &v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up"}}},
			message: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ms.Measure(context.Background(), "shop", tt.metric, tt.vars)
			if got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, tt.message) || got.Permanent != tt.permanent {
				t.Fatalf("got %+v, want an Error containing %q with Permanent=%v", got, tt.message, tt.permanent)
			}
		})
	}
}

func TestWebProviderTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	secrets := func(_ context.Context, _ string, ref v1alpha1.SecretKeyRef) (string, error) {
		if ref.Name == "ca" {
			return caPEM, nil
		}
		return "not a certificate", nil
	}
	p := NewWebProvider(secrets)
	query := func(tls *v1alpha1.TLSConfig) (Value, error) {
		m := webMetric(srv.URL, jsonPath("{.ok}"), func(w *v1alpha1.WebMetric) { w.TLS = tls })
		return p.Query(context.Background(), Request{Namespace: "shop", Metric: m})
	}
	if _, err := query(nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an unknown CA must fail verification, got %v", err)
	}
	if v, err := query(&v1alpha1.TLSConfig{CASecret: &v1alpha1.SecretKeyRef{Name: "ca", Key: "ca.crt"}}); err != nil || v.String() != "true" {
		t.Fatalf("with the CA from the Secret: %v, %v", v, err)
	}
	if v, err := query(&v1alpha1.TLSConfig{InsecureSkipVerify: true}); err != nil || v.String() != "true" {
		t.Fatalf("with insecureSkipVerify: %v, %v", v, err)
	}
	_, err := query(&v1alpha1.TLSConfig{CASecret: &v1alpha1.SecretKeyRef{Name: "junk", Key: "ca.crt"}})
	if err == nil || err.Error() != "the CA bundle holds no PEM certificate" {
		t.Fatalf("a CA bundle without a certificate: %v", err)
	}
}

func TestServerTimeoutIsWholeSeconds(t *testing.T) {
	for _, tt := range []struct {
		timeout time.Duration
		want    time.Duration
	}{
		{10 * time.Second, 9 * time.Second},
		{2 * time.Second, time.Second},
		{time.Second, 0},
		{90 * time.Second, 89 * time.Second},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
		got := serverTimeout(ctx)
		cancel()
		if got != tt.want {
			t.Errorf("serverTimeout(%s) = %s, want %s", tt.timeout, got, tt.want)
		}
	}
	if got := serverTimeout(context.Background()); got != 0 {
		t.Errorf("serverTimeout without deadline = %s, want 0", got)
	}
}
