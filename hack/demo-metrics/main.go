// Command demo-metrics is the metrics source of `make demo`. Pods on the local control plane
// run no containers, so this program plays their traffic: every second, each ready pod of a
// Rollout serves --rps requests, of which the share given by the pod's
// demo.stride.dev/error-rate annotation fail with a 500, each taking the latency given by
// demo.stride.dev/latency-ms. Prometheus scrapes the counters and the histogram at /metrics, so a
// "bad" version (a template with a high error rate) really produces bad numbers.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/stride-dev/stride/api/v1alpha1"
)

const (
	annotationErrorRate = "demo.stride.dev/error-rate"
	annotationLatency   = "demo.stride.dev/latency-ms"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "Path to the kubeconfig of the cluster whose pods play traffic.")
	listen := flag.String("listen", "127.0.0.1:9101", "Address that serves /metrics.")
	namespace := flag.String("namespace", "", "Only pods of this namespace (empty: all).")
	rps := flag.Float64("rps", 10, "Requests per second each ready pod serves.")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "demo_http_requests_total", Help: "Requests served by the demo pods, by rollout, revision and status code.",
	}, []string{"namespace", "rollout", "revision", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "demo_http_request_duration_seconds", Help: "Latency of the demo pods' requests.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}, []string{"namespace", "rollout", "revision"})
	reg.MustRegister(requests, latency)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				play(ctx, cs, *namespace, *rps, requests, latency)
			}
		}
	}()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(os.Stderr, "demo-metrics serving http://%s/metrics\n", *listen)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fail(err)
	}
}

// play adds one second of traffic for every ready pod.
func play(ctx context.Context, cs kubernetes.Interface, ns string, rps float64, requests *prometheus.CounterVec, latency *prometheus.HistogramVec) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: v1alpha1.LabelRollout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "list pods:", err)
		return
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if !ready(p) {
			continue
		}
		errRate := number(p.Annotations[annotationErrorRate], 0)
		lat := number(p.Annotations[annotationLatency], 50) / 1000
		rollout, rev := p.Labels[v1alpha1.LabelRollout], p.Labels[v1alpha1.LabelRevision]
		requests.WithLabelValues(p.Namespace, rollout, rev, "500").Add(rps * errRate)
		requests.WithLabelValues(p.Namespace, rollout, rev, "200").Add(rps * (1 - errRate))
		h := latency.WithLabelValues(p.Namespace, rollout, rev)
		for n := 0; n < int(rps); n++ {
			h.Observe(lat)
		}
	}
}

func ready(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func number(s string, def float64) float64 {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "demo-metrics:", err)
	os.Exit(1)
}
