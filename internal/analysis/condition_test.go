package analysis

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func vector(samples ...Sample) Value {
	return Value{Samples: samples}
}

func series(v float64, labels ...string) Sample {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return Sample{Value: v, Labels: l}
}

func TestEval(t *testing.T) {
	c := NewConditions()
	tests := []struct {
		name    string
		expr    string
		value   Value
		want    bool
		wantErr string // substring; "" means no error
		cond    bool   // the error is a *ConditionError
	}{
		{name: "scalar above", expr: "result >= 0.99", value: Scalar(0.995), want: true},
		{name: "scalar below", expr: "result >= 0.99", value: Scalar(0.91), want: false},
		{name: "integer literal compares with a double", expr: "result >= 1", value: Scalar(1), want: true},
		{name: "integer literal equals a double", expr: "result == 0", value: Scalar(0), want: true},
		{name: "integer literal in arithmetic", expr: "result * 100 > 99", value: Scalar(0.995), want: true},
		{name: "literal on the left", expr: "0.99 <= result", value: Scalar(0.995), want: true},
		{name: "one-series vector as a number", expr: "result >= 0.99", value: vector(series(0.995, "job", "a")), want: true},
		{name: "one-series vector as a list", expr: "result[0] >= 0.99", value: vector(series(0.5, "job", "a")), want: false},
		{name: "one-series vector with a list macro", expr: "result.all(x, x > 0.5)", value: vector(series(0.7)), want: true},
		{name: "vector all", expr: "result.all(x, x >= 0.9)", value: vector(series(0.95, "pod", "a"), series(0.91, "pod", "b")), want: true},
		{name: "vector exists", expr: "result.exists(x, x < 0.5)", value: vector(series(0.95, "pod", "a"), series(0.4, "pod", "b")), want: true},
		{name: "vector index", expr: "result[1] == 0.4", value: vector(series(0.95, "pod", "a"), series(0.4, "pod", "b")), want: true},
		{name: "vector size", expr: "size(result) == 2", value: vector(series(1, "pod", "a"), series(2, "pod", "b")), want: true},
		{name: "series labels", expr: `series.exists(s, s.labels.pod == "b" && s.value < 0.5)`, value: vector(series(0.95, "pod", "a"), series(0.4, "pod", "b")), want: true},
		{name: "series of a scalar", expr: `size(series) == 1 && series[0].value == 0.5`, value: Scalar(0.5), want: true},
		{name: "bool", expr: "result", value: Bool(true), want: true},
		{name: "bool compared", expr: "result == false", value: Bool(false), want: true},
		{name: "list of bools", expr: "result.all(x, x)", value: Value{Samples: []Sample{{Value: true}, {Value: false}}}, want: false},
		{name: "NaN never passes", expr: "result >= 0.99", value: Scalar(math.NaN()), want: false},
		{name: "NaN never passes the inverse either", expr: "result < 0.99", value: Scalar(math.NaN()), want: false},
		{name: "+Inf is a number", expr: "result > 1000000", value: Scalar(math.Inf(1)), want: true},
		{name: "-Inf is a number", expr: "result < 0", value: Scalar(math.Inf(-1)), want: true},
		{name: "syntax error", expr: "result >= ", value: Scalar(1), wantErr: `"result >= " does not compile: ERROR: <input>:1:11: Syntax error`, cond: true},
		{name: "unknown variable", expr: "value > 1", value: Scalar(1), wantErr: `undeclared reference to 'value'`, cond: true},
		{name: "not a bool", expr: "result + 1.0", value: Scalar(1), wantErr: `"result + 1.0" returns double, not a bool`, cond: true},
		{name: "dyn that is not a bool", expr: "series[0].value", value: Scalar(1), wantErr: `"series[0].value" returns double, not a bool`, cond: true},
		{name: "a list used as a number", expr: "result >= 0.99", value: vector(series(1, "pod", "a"), series(2, "pod", "b")),
			wantErr: "result is a list of 2 values: use result[0], result.all(x, ...) or result.exists(x, ...)", cond: true},
		{name: "index out of range", expr: "result[3] > 1", value: vector(series(1, "pod", "a"), series(2, "pod", "b")), wantErr: "index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Eval(tt.expr, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Eval(%q) error = %v, want it to contain %q", tt.expr, err, tt.wantErr)
				}
				var ce *ConditionError
				if errors.As(err, &ce) != tt.cond {
					t.Fatalf("Eval(%q) error %v: ConditionError = %v, want %v", tt.expr, err, !tt.cond, tt.cond)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval(%q) error: %v", tt.expr, err)
			}
			if got != tt.want {
				t.Fatalf("Eval(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestEvalCachesByExpressionAndShape(t *testing.T) {
	c := NewConditions()
	// The same expression on a number and on a list compiles once for each.
	for range 3 {
		if _, err := c.Eval("result[0] >= 0.5 || result.size() == 3", vector(series(1, "a", "1"), series(2, "a", "2"))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Eval("result >= 0.5", Scalar(1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(c.programs); got != 2 {
		t.Fatalf("cached programs = %d, want 2", got)
	}
}

func TestEvalConcurrent(t *testing.T) {
	c := NewConditions()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Eval("result >= 0.5", Scalar(float64(i%2)))
			if err != nil {
				errs <- err
				return
			}
			if got != (i%2 == 1) {
				errs <- errors.New("wrong answer")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func metric(name string, opts ...func(*v1alpha1.Metric)) v1alpha1.Metric {
	m := v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "up"}}}
	for _, o := range opts {
		o(&m)
	}
	return m
}

func success(expr string) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.SuccessCondition = expr }
}

func failure(expr string) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.FailureCondition = expr }
}

func noData(p v1alpha1.NoDataPolicy) func(*v1alpha1.Metric) {
	return func(m *v1alpha1.Metric) { m.NoDataPolicy = p }
}

func TestAssess(t *testing.T) {
	c := NewConditions()
	tests := []struct {
		name   string
		metric v1alpha1.Metric
		value  Value
		want   Result
	}{
		{
			name:   "success condition true",
			metric: metric("success-rate", success("result >= 0.99")),
			value:  Scalar(0.995),
			want:   Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "0.995"},
		},
		{
			name:   "success condition false is a failure in words",
			metric: metric("success-rate", success("result >= 0.99")),
			value:  Scalar(0.91),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "0.91", Message: "0.91 below 0.99", valueFirst: true},
		},
		{
			name:   "strict success condition false",
			metric: metric("latency", success("result < 300")),
			value:  Scalar(300),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "300", Message: "300 at or above 300", valueFirst: true},
		},
		{
			name:   "flipped success condition false",
			metric: metric("success-rate", success("0.99 <= result[0]")),
			value:  vector(series(0.91, "job", "web")),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[0.91]", Message: "0.91 below 0.99", valueFirst: true},
		},
		{
			name:   "failure condition true in words",
			metric: metric("errors", failure("result > 5")),
			value:  Scalar(7),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "7", Message: "7 above 5", valueFirst: true},
		},
		{
			name:   "failure condition false alone is a success",
			metric: metric("errors", failure("result > 5")),
			value:  Scalar(2),
			want:   Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "2"},
		},
		{
			name:   "failure condition is checked first",
			metric: metric("m", success("result >= 0"), failure("result > 5")),
			value:  Scalar(7),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "7", Message: "7 above 5", valueFirst: true},
		},
		{
			name:   "neither condition true is inconclusive",
			metric: metric("success-rate", success("result >= 0.99"), failure("result < 0.95")),
			value:  Scalar(0.97),
			want: Result{Phase: v1alpha1.AnalysisPhaseInconclusive, Value: "0.97", valueFirst: true,
				Message: `0.97: success condition "result >= 0.99" and failure condition "result < 0.95" are both false`},
		},
		{
			name:   "complex condition falls back to quoting it",
			metric: metric("success-rate", success("result.all(x, x >= 0.99)")),
			value:  vector(series(0.995, "pod", "a"), series(0.9, "pod", "b")),
			want: Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[0.995, 0.9]", valueFirst: true,
				Message: `[0.995, 0.9]: success condition "result.all(x, x >= 0.99)" is false`},
		},
		{
			name:   "complex failure condition falls back to quoting it",
			metric: metric("success-rate", failure("result.exists(x, x < 0.5)")),
			value:  vector(series(0.995, "pod", "a"), series(0.4, "pod", "b")),
			want: Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[0.995, 0.4]", valueFirst: true,
				Message: `[0.995, 0.4]: failure condition "result.exists(x, x < 0.5)" is true`},
		},
		{
			name:   "no conditions records the value",
			metric: metric("m"),
			value:  Scalar(3),
			want:   Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "3"},
		},
		{
			name:   "no data is inconclusive by default",
			metric: metric("success-rate", success("result >= 0.99")),
			value:  Value{Reason: "query returned no series"},
			want:   Result{Phase: v1alpha1.AnalysisPhaseInconclusive, Message: "no data (query returned no series)"},
		},
		{
			name:   "no data fails with noDataPolicy Fail",
			metric: metric("success-rate", success("result >= 0.99"), noData(v1alpha1.NoDataFail)),
			value:  Value{Reason: "query returned no series"},
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Message: "no data (query returned no series)"},
		},
		{
			name:   "no data passes with noDataPolicy Pass",
			metric: metric("success-rate", success("result >= 0.99"), noData(v1alpha1.NoDataPass)),
			value:  Value{Reason: "query returned no series"},
			want:   Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Message: "no data (query returned no series), counted as a pass"},
		},
		{
			name:   "NaN is no data, inconclusive by default",
			metric: metric("success-rate", success("result >= 0.99"), failure("result < 0.95")),
			value:  Scalar(math.NaN()),
			want:   Result{Phase: v1alpha1.AnalysisPhaseInconclusive, Value: "NaN", Message: "result is NaN"},
		},
		{
			name:   "NaN fails with noDataPolicy Fail",
			metric: metric("success-rate", success("result >= 0.99"), noData(v1alpha1.NoDataFail)),
			value:  vector(series(math.NaN(), "job", "web")),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[NaN]", Message: "result is NaN"},
		},
		{
			name:   "NaN passes with noDataPolicy Pass",
			metric: metric("success-rate", success("result >= 0.99"), noData(v1alpha1.NoDataPass)),
			value:  Scalar(math.NaN()),
			want:   Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "NaN", Message: "result is NaN, counted as a pass"},
		},
		{
			name:   "one NaN among numbers is data",
			metric: metric("success-rate", failure("result.exists(x, x < 0.5)")),
			value:  vector(series(math.NaN(), "pod", "a"), series(0.4, "pod", "b")),
			want: Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "[NaN, 0.4]", valueFirst: true,
				Message: `[NaN, 0.4]: failure condition "result.exists(x, x < 0.5)" is true`},
		},
		{
			name:   "+Inf is compared",
			metric: metric("latency", success("result < 0.5")),
			value:  Scalar(math.Inf(1)),
			want:   Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: "+Inf", Message: "+Inf at or above 0.5", valueFirst: true},
		},
		{
			name:   "condition that does not compile is a permanent error",
			metric: metric("success-rate", success("result >=")),
			value:  Scalar(1),
			want: Result{Phase: v1alpha1.AnalysisPhaseError, Value: "1", Permanent: true,
				Message: `successCondition "result >=" does not compile: ERROR: <input>:1:10: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`},
		},
		{
			name:   "failure condition that returns a number is a permanent error",
			metric: metric("success-rate", failure("result * 2.0")),
			value:  Scalar(1),
			want:   Result{Phase: v1alpha1.AnalysisPhaseError, Value: "1", Permanent: true, Message: `failureCondition "result * 2.0" returns double, not a bool`},
		},
		{
			name:   "evaluation error is not permanent",
			metric: metric("success-rate", success("result[5] > 1.0")),
			value:  vector(series(1, "pod", "a"), series(2, "pod", "b")),
			want:   Result{Phase: v1alpha1.AnalysisPhaseError, Value: "[1, 2]", Message: `successCondition evaluate "result[5] > 1.0": index out of bounds: 5`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Assess(&tt.metric, tt.value)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Result{})); diff != "" {
				t.Fatalf("Assess() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeSimpleComparisons(t *testing.T) {
	c := NewConditions()
	tests := []struct {
		expr string
		held bool
		v    Value
		want string
	}{
		{"result >= 0.99", false, Scalar(0.91), "0.91 below 0.99"},
		{"result > 0.99", false, Scalar(0.99), "0.99 at or below 0.99"},
		{"result <= 100", false, Scalar(120), "120 above 100"},
		{"result < 100", false, Scalar(100), "100 at or above 100"},
		{"result == 0", false, Scalar(3), "3 not equal to 0"},
		{"result != 0", false, Scalar(0), "0 equal to 0"},
		{"result < 0.95", true, Scalar(0.91), "0.91 below 0.95"},
		{"result <= 0.95", true, Scalar(0.95), "0.95 at or below 0.95"},
		{"result > 5", true, Scalar(6), "6 above 5"},
		{"result >= 5", true, Scalar(5), "5 at or above 5"},
		{"result == 1", true, Scalar(1), "1 equal to 1"},
		{"result != 1", true, Scalar(2), "2 not equal to 1"},
		{"5 < result", true, Scalar(6), "6 above 5"},
		{"result[1] >= 0.9", false, List(0.95, 0.5), "0.5 below 0.9"},
		{"result >= -1", false, Scalar(-2), "-2 below -1"},
		{"result >= 0.99", false, Scalar(0.98996123), "0.989961 below 0.99"},
		{"result >= 0.99 && result < 2.0", false, Scalar(0.5), `0.5: success condition "result >= 0.99 && result < 2.0" is false`},
	}
	for _, tt := range tests {
		if got := c.describe(tt.expr, tt.held, tt.v); got != tt.want {
			t.Errorf("describe(%q, %v, %v) = %q, want %q", tt.expr, tt.held, tt.v, got, tt.want)
		}
	}
}

func TestValueString(t *testing.T) {
	long := Value{}
	for range 100 {
		long.Samples = append(long.Samples, Sample{Value: 0.123456789})
	}
	tests := []struct {
		v    Value
		want string
	}{
		{Scalar(0.91), "0.91"},
		{Scalar(math.NaN()), "NaN"},
		{Scalar(math.Inf(-1)), "-Inf"},
		{Bool(true), "true"},
		{List(1, 2.5), "[1, 2.5]"},
		{long, "[0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789, ... 100 values]"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if n := len(long.String()); n > maxValueText {
		t.Errorf("long value text is %d bytes, want at most %d", n, maxValueText)
	}
}

func TestSortSamples(t *testing.T) {
	v := vector(series(2, "pod", "b"), series(1, "pod", "a"), series(3, "pod", "c"))
	sortSamples(v.Samples)
	got, _ := v.numbers()
	if diff := cmp.Diff([]float64{1, 2, 3}, got, cmpopts.EquateNaNs()); diff != "" {
		t.Fatalf("sorted values mismatch (-want +got):\n%s", diff)
	}
}
