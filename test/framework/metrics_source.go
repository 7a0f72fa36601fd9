package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsSource serves /metrics in the Prometheus text format on 127.0.0.1 with series the
// tests set: the stand-in for an application whose health an analysis measures. A series
// vector is created on first use of a name, with the label names of that first use; later
// uses of the name must give the same label names.
type MetricsSource struct {
	// Addr is host:port of the server.
	Addr string

	registry *prometheus.Registry
	server   *http.Server

	mu       sync.Mutex
	gauges   map[string]*prometheus.GaugeVec
	counters map[string]*prometheus.CounterVec
	labels   map[string][]string
}

// NewMetricsSource starts a MetricsSource on a free loopback port.
func NewMetricsSource() (*MetricsSource, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the metrics source: %w", err)
	}
	s := &MetricsSource{
		Addr:     ln.Addr().String(),
		registry: prometheus.NewRegistry(),
		gauges:   map[string]*prometheus.GaugeVec{},
		counters: map[string]*prometheus.CounterVec{},
		labels:   map[string][]string{},
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	return s, nil
}

// URL is the URL of the /metrics endpoint.
func (s *MetricsSource) URL() string { return "http://" + s.Addr + "/metrics" }

// Close stops the server.
func (s *MetricsSource) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.server.Shutdown(ctx)
}

// SetGauge sets the gauge series name{labels} to v.
func (s *MetricsSource) SetGauge(name string, labels map[string]string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gauge(name, labels).With(labels).Set(v)
}

// DeleteGauge removes the gauge series name{labels}, so it is absent from the next scrape.
func (s *MetricsSource) DeleteGauge(name string, labels map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.gauges[name]; ok {
		g.Delete(labels)
	}
}

// AddCounter adds delta (>= 0) to the counter series name{labels}.
func (s *MetricsSource) AddCounter(name string, labels map[string]string, delta float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter(name, labels).With(labels).Add(delta)
}

// DeleteCounter removes the counter series name{labels}.
func (s *MetricsSource) DeleteCounter(name string, labels map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.counters[name]; ok {
		c.Delete(labels)
	}
}

// Reset removes every series of name.
func (s *MetricsSource) Reset(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.gauges[name]; ok {
		g.Reset()
	}
	if c, ok := s.counters[name]; ok {
		c.Reset()
	}
}

func (s *MetricsSource) gauge(name string, labels map[string]string) *prometheus.GaugeVec {
	names := s.labelNames(name, labels)
	if g, ok := s.gauges[name]; ok {
		return g
	}
	if _, ok := s.counters[name]; ok {
		panic(fmt.Sprintf("metrics source: %s is a counter, not a gauge", name))
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Test gauge " + name + "."}, names)
	s.mustRegister(g)
	s.gauges[name] = g
	return g
}

func (s *MetricsSource) counter(name string, labels map[string]string) *prometheus.CounterVec {
	names := s.labelNames(name, labels)
	if c, ok := s.counters[name]; ok {
		return c
	}
	if _, ok := s.gauges[name]; ok {
		panic(fmt.Sprintf("metrics source: %s is a gauge, not a counter", name))
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Test counter " + name + "."}, names)
	s.mustRegister(c)
	s.counters[name] = c
	return c
}

// labelNames returns the sorted label names of labels, checking them against the first use of
// name.
func (s *MetricsSource) labelNames(name string, labels map[string]string) []string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	if first, ok := s.labels[name]; ok {
		if !slices.Equal(first, names) {
			panic(fmt.Sprintf("metrics source: %s has labels %v, not %v", name, first, names))
		}
		return names
	}
	s.labels[name] = names
	return names
}

func (s *MetricsSource) mustRegister(c prometheus.Collector) {
	if err := s.registry.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			panic(fmt.Sprintf("metrics source: %v", err))
		}
	}
}
