package analysis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// DefaultTimeout bounds one query when a metric does not set a timeout.
const DefaultTimeout = 10 * time.Second

// maxMessage bounds a message kept in status.
const maxMessage = 1024

// Request is one measurement to take.
type Request struct {
	// Namespace of the run: where Secrets named by the metric are read.
	Namespace string
	// Metric to measure, with every placeholder already replaced.
	Metric *v1alpha1.Metric
}

// Provider queries a metric source.
//
// Query returns the measured value, or an empty value (no samples, with Reason set) when the
// source has no data. An error that repeating cannot fix (a PromQL syntax error, a bad
// jsonPath) is wrapped in a *PermanentError.
type Provider interface {
	Query(ctx context.Context, req Request) (Value, error)
}

// PermanentError is a provider or spec error that the same measurement would repeat: the
// metric errors at once instead of after consecutiveErrorLimit attempts.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a *PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// Result is the outcome of one measurement.
type Result struct {
	// Phase is Successful, Failed, Inconclusive or Error.
	Phase v1alpha1.AnalysisPhase
	// Value as text, e.g. "0.91" or "[0.91, 0.97]"; empty when there was no value.
	Value string
	// Message explains a phase other than Successful, e.g. "0.91 below 0.99" or
	// "Prometheus error: ...". It does not name the metric.
	Message string
	// Permanent marks an Error that repeating cannot fix: the metric errors at once.
	Permanent bool
	// valueFirst is true when Message starts with the value ("0.91 below 0.99"), so that
	// the metric's message reads "success-rate 0.91 below 0.99" rather than
	// "success-rate: Prometheus error: ...".
	valueFirst bool
}

// Measurer takes measurements: it replaces placeholders, queries the metric's provider
// within the metric's timeout, and assesses the value with the metric's conditions.
type Measurer struct {
	// Prometheus answers metrics with a prometheus provider.
	Prometheus Provider
	// Web answers metrics with a web provider.
	Web Provider
	// Conditions compiles and caches conditions.
	Conditions *Conditions
}

// NewMeasurer returns a Measurer with the Prometheus and web providers, reading Secrets (for
// auth and TLS) through secrets.
func NewMeasurer(secrets SecretReader) *Measurer {
	clients := newHTTPClients(secrets)
	return &Measurer{
		Prometheus: &PrometheusProvider{clients: clients},
		Web:        &WebProvider{clients: clients},
		Conditions: NewConditions(),
	}
}

// Measure takes one measurement of metric for a run in namespace, with vars for its
// placeholders.
func (ms *Measurer) Measure(ctx context.Context, namespace string, metric *v1alpha1.Metric, vars Vars) Result {
	m := metric.DeepCopy()
	if err := substituteMetric(m, vars, ""); err != nil {
		return errorResult(Permanent(err))
	}
	var p Provider
	var source string
	var timeout *v1alpha1.Duration
	switch {
	case m.Provider.Prometheus != nil:
		p, source, timeout = ms.Prometheus, "Prometheus", m.Provider.Prometheus.Timeout
	case m.Provider.Web != nil:
		p, source, timeout = ms.Web, "web", m.Provider.Web.Timeout
	}
	if p == nil {
		return errorResult(Permanent(errors.New("the metric has no provider")))
	}
	d, err := durationOr(timeout, DefaultTimeout)
	if err != nil {
		return errorResult(Permanent(fmt.Errorf("timeout: %w", err)))
	}
	qctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := p.Query(qctx, Request{Namespace: namespace, Metric: m})
	if err != nil {
		return errorResult(fmt.Errorf("%s error: %w", source, err))
	}
	return ms.Conditions.Assess(m, v)
}

// Assess turns a measured value into a result with the metric's conditions and noDataPolicy.
//
//   - An empty value, or one whose every number is NaN (Prometheus's 0/0, e.g. a success
//     rate without requests), is "no data": Inconclusive by default, Failed with
//     noDataPolicy Fail, Successful with noDataPolicy Pass. A NaN is never compared: it would
//     fail every condition. ±Inf is a number like any other ("+Inf > 1" is true).
//   - With both conditions, the failure condition is checked first: true is Failed; then
//     the success condition: true is Successful; neither true is Inconclusive.
//   - With only a success condition: true is Successful, false is Failed.
//   - With only a failure condition: true is Failed, false is Successful.
//   - With neither, every value is Successful (the metric only records values).
//   - A condition that does not compile or does not return a bool is a permanent Error.
func (c *Conditions) Assess(m *v1alpha1.Metric, v Value) Result {
	if v.Empty() || v.AllNaN() {
		reason := v.Reason
		if v.AllNaN() {
			reason = "result is NaN"
		} else if reason == "" {
			reason = "no data"
		} else {
			reason = "no data (" + reason + ")"
		}
		r := Result{Value: textOf(v), Message: reason}
		switch m.NoDataPolicy {
		case v1alpha1.NoDataFail:
			r.Phase = v1alpha1.AnalysisPhaseFailed
		case v1alpha1.NoDataPass:
			r.Phase = v1alpha1.AnalysisPhaseSuccessful
			r.Message = reason + ", counted as a pass"
		default:
			r.Phase = v1alpha1.AnalysisPhaseInconclusive
		}
		return r
	}
	text := v.String()
	if m.FailureCondition != "" {
		failed, err := c.Eval(m.FailureCondition, v)
		if err != nil {
			return conditionError("failureCondition", err, text)
		}
		if failed {
			return Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: text, Message: c.describe(m.FailureCondition, true, v), valueFirst: true}
		}
	}
	if m.SuccessCondition == "" {
		return Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: text}
	}
	ok, err := c.Eval(m.SuccessCondition, v)
	if err != nil {
		return conditionError("successCondition", err, text)
	}
	switch {
	case ok:
		return Result{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: text}
	case m.FailureCondition != "":
		return Result{Phase: v1alpha1.AnalysisPhaseInconclusive, Value: text, valueFirst: true,
			Message: fmt.Sprintf("%s: success condition %q and failure condition %q are both false", text, m.SuccessCondition, m.FailureCondition)}
	default:
		return Result{Phase: v1alpha1.AnalysisPhaseFailed, Value: text, Message: c.describe(m.SuccessCondition, false, v), valueFirst: true}
	}
}

func textOf(v Value) string {
	if v.Empty() {
		return ""
	}
	return v.String()
}

func conditionError(field string, err error, value string) Result {
	var ce *ConditionError
	r := Result{Phase: v1alpha1.AnalysisPhaseError, Value: value, Message: truncate(field + " " + err.Error())}
	r.Permanent = errors.As(err, &ce)
	return r
}

func errorResult(err error) Result {
	var pe *PermanentError
	return Result{Phase: v1alpha1.AnalysisPhaseError, Message: truncate(err.Error()), Permanent: errors.As(err, &pe)}
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}

// durationOr parses d, or returns def when d is unset.
func durationOr(d *v1alpha1.Duration, def time.Duration) (time.Duration, error) {
	if d == nil || *d == "" {
		return def, nil
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return 0, fmt.Errorf("parse duration %q: %w", *d, err)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q is negative", *d)
	}
	return v, nil
}
