// Command manager runs the Stride operator.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/stride-dev/stride/controllers"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var (
		metricsAddr, probeAddr, namespaces, leaderNamespace string
		leaderElect                                         bool
		qps                                                 float64
		burst, concurrency                                  int
	)
	_, inCluster := os.LookupEnv("KUBERNETES_SERVICE_HOST")
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address that serves Prometheus metrics at /metrics; \"0\" disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address that serves /healthz and /readyz; \"0\" disables it.")
	flag.BoolVar(&leaderElect, "leader-elect", inCluster, "Elect a leader so only one replica acts at a time (default: on inside a cluster, off outside).")
	flag.StringVar(&leaderNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: the operator's own namespace).")
	flag.StringVar(&namespaces, "namespace", "", "Watch only these namespaces (comma-separated); empty watches all.")
	flag.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API.")
	flag.IntVar(&burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API.")
	flag.IntVar(&concurrency, "max-concurrent-reconciles", 4, "Rollouts reconciled in parallel.")
	showVersion := flag.Bool("version", false, "Print the version and exit.")
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	if *showVersion {
		fmt.Println(version)
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "Unable to load a kubeconfig")
		os.Exit(1)
	}
	cfg.QPS = float32(qps)
	cfg.Burst = burst
	cfg.UserAgent = "stride-manager/" + version

	var ns []string
	for _, n := range strings.Split(namespaces, ",") {
		if n = strings.TrimSpace(n); n != "" {
			ns = append(ns, n)
		}
	}
	mgr, err := controllers.NewManager(cfg, controllers.Options{
		MetricsBindAddress:      metricsAddr,
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          leaderElect,
		LeaderElectionNamespace: leaderNamespace,
		Namespaces:              ns,
		MaxConcurrentReconciles: concurrency,
	})
	if err != nil {
		log.Error(err, "Unable to set up the manager")
		os.Exit(1)
	}
	log.Info("Starting Stride", "version", version, "namespaces", ns, "leaderElection", leaderElect)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}
