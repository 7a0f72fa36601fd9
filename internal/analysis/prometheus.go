package analysis

import (
	"context"
	"errors"
	"fmt"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PrometheusProvider runs instant PromQL queries.
//
// A scalar result is a single number; an instant vector is a list with one sample per
// series (ordered by labels) and no data when it is empty; a string or a range vector is an
// error. Prometheus's own error messages (a PromQL syntax error, a timeout) are kept as they
// are; a "bad_data" answer, which the same query always gets, errors the metric at once.
type PrometheusProvider struct {
	clients *httpClients
	// Now gives the evaluation time of the query; nil is time.Now.
	Now func() time.Time
}

// NewPrometheusProvider returns a Prometheus provider that reads Secrets through secrets.
func NewPrometheusProvider(secrets SecretReader) *PrometheusProvider {
	return &PrometheusProvider{clients: newHTTPClients(secrets)}
}

// Query runs the metric's query.
func (p *PrometheusProvider) Query(ctx context.Context, req Request) (Value, error) {
	spec := req.Metric.Provider.Prometheus
	if spec == nil {
		return Value{}, Permanent(errors.New("the metric has no prometheus provider"))
	}
	rt, err := p.clients.roundTripper(ctx, req.Namespace, spec.Auth, spec.TLS)
	if err != nil {
		return Value{}, err
	}
	client, err := promapi.NewClient(promapi.Config{Address: spec.Address, RoundTripper: rt})
	if err != nil {
		return Value{}, Permanent(fmt.Errorf("address %q: %w", spec.Address, err))
	}
	var opts []promv1.Option
	if d := serverTimeout(ctx); d > 0 {
		opts = append(opts, promv1.WithTimeout(d))
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	res, _, err := promv1.NewAPI(client).Query(ctx, spec.Query, now(), opts...)
	if err != nil {
		var perr *promv1.Error
		if errors.As(err, &perr) && perr.Type == promv1.ErrBadData {
			return Value{}, Permanent(err)
		}
		return Value{}, err
	}
	return prometheusValue(res)
}

// prometheusValue converts a query result.
func prometheusValue(res model.Value) (Value, error) {
	switch r := res.(type) {
	case *model.Scalar:
		return Scalar(float64(r.Value)), nil
	case model.Vector:
		if len(r) == 0 {
			return Value{Reason: "query returned no series"}, nil
		}
		v := Value{Samples: make([]Sample, len(r))}
		for i, s := range r {
			labels := make(map[string]string, len(s.Metric))
			for k, val := range s.Metric {
				labels[string(k)] = string(val)
			}
			v.Samples[i] = Sample{Value: float64(s.Value), Labels: labels}
		}
		sortSamples(v.Samples)
		return v, nil
	case model.Matrix:
		return Value{}, Permanent(errors.New("the query returned a range vector; use an instant query, e.g. with rate() or sum()"))
	case *model.String:
		return Value{}, Permanent(fmt.Errorf("the query returned the string %q, not a number", r.Value))
	case nil:
		return Value{Reason: "query returned nothing"}, nil
	}
	return Value{}, fmt.Errorf("unexpected result type %s", res.Type())
}

// serverTimeout is the query timeout to ask Prometheus for: a little less than the client's
// deadline, in whole seconds (Prometheus does not parse fractions of a second such as
// "1.95s"), or 0 to ask for none.
func serverTimeout(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	d := (time.Until(deadline) - 50*time.Millisecond).Truncate(time.Second)
	if d < time.Second {
		return 0
	}
	return d
}
