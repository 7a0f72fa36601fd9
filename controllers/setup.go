// Package controllers holds Stride's reconcilers. They are thin: fetch what a Rollout
// owns, ask internal/plan what the world should look like, apply it, and report status.
package controllers

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Scheme has the Kubernetes built-in types and Stride's.
var Scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(Scheme))
	utilruntime.Must(v1alpha1.AddToScheme(Scheme))
}

// Options configure the operator's manager.
type Options struct {
	// MetricsBindAddress serves /metrics ("0" disables).
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz ("0" disables).
	HealthProbeBindAddress string
	// LeaderElection makes only one replica act at a time.
	LeaderElection bool
	// LeaderElectionNamespace holds the lease (default: the in-cluster namespace).
	LeaderElectionNamespace string
	// Namespaces limits the watch to these namespaces (empty: all).
	Namespaces []string
	// MaxConcurrentReconciles per controller.
	MaxConcurrentReconciles int
	// Now is the clock (tests may inject one).
	Now func() time.Time
	// Interceptor, when set, wraps the operator's client (tests count API writes with it).
	Interceptor *interceptor.Funcs
}

// NewManager builds the operator: a manager whose cache holds only what Stride owns or
// names (Deployments labelled stride.dev/rollout, Stride's kinds), with the Rollout and
// AnalysisRun controllers registered.
func NewManager(cfg *rest.Config, o Options) (manager.Manager, error) {
	owned, err := labels.NewRequirement(v1alpha1.LabelRollout, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	cacheOpts := cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.Deployment{}: {Label: labels.NewSelector().Add(*owned)},
		},
	}
	if len(o.Namespaces) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range o.Namespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	if o.MetricsBindAddress == "" {
		o.MetricsBindAddress = "0"
	}
	if o.HealthProbeBindAddress == "" {
		o.HealthProbeBindAddress = "0"
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsBindAddress},
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "stride.stride.dev",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		Cache:                   cacheOpts,
		// A process may build a new manager after stopping one (tests restart the operator
		// in-process); controller names are unique within each manager.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		Client: client.Options{Cache: &client.CacheOptions{
			// Services and Secrets are read one by one when needed, never cached
			// cluster-wide.
			DisableFor: []client.Object{&corev1.Service{}, &corev1.Secret{}},
		}},
		NewClient: func(cfg *rest.Config, opts client.Options) (client.Client, error) {
			if o.Interceptor == nil {
				return client.New(cfg, opts)
			}
			c, err := client.NewWithWatch(cfg, opts)
			if err != nil {
				return nil, err
			}
			return interceptor.NewClient(c, *o.Interceptor), nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if err := (&RolloutReconciler{
		Client:   mgr.GetClient(),
		Scheme:   mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("stride"),
		Now:      now,
	}).SetupWithManager(mgr, o.MaxConcurrentReconciles); err != nil {
		return nil, fmt.Errorf("set up Rollout controller: %w", err)
	}
	if err := setupAnalysis(mgr, now); err != nil {
		return nil, fmt.Errorf("set up AnalysisRun controller: %w", err)
	}
	return mgr, nil
}
