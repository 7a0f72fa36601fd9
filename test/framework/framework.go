// Package framework runs end-to-end tests against the local control plane: a real etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler with kwok's fake nodes, the
// Stride CRDs, optionally a real Prometheus server scraping a metrics source the tests
// control, and optionally the operator itself.
//
// Every e2e package calls Run from its TestMain:
//
//	func TestMain(m *testing.M) {
//		os.Exit(framework.Run(m, framework.Options{NewManager: newManager, Prometheus: true}))
//	}
//
// and its tests use framework.Default. Each package gets its own cluster in a fresh temporary
// directory; the directory is removed when every test passed and kept (its path printed)
// otherwise. STRIDE_E2E_SKIP=1 skips the whole package.
package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	stridev1alpha1 "github.com/stride-dev/stride/api/v1alpha1"
)

// Scheme knows the client-go kinds, the Stride kinds and CustomResourceDefinitions.
var Scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(Scheme))
	utilruntime.Must(stridev1alpha1.AddToScheme(Scheme))
	utilruntime.Must(apiextensionsv1.AddToScheme(Scheme))
}

// Options say what an Env runs besides the cluster and the CRDs.
type Options struct {
	// NewManager builds the operator's manager against cfg. When nil, no operator runs.
	// The manager must not bind fixed ports (metrics and probes "0"): it is restarted by
	// StartManager.
	NewManager func(cfg *rest.Config) (manager.Manager, error)
	// Prometheus starts a real Prometheus server scraping Env.Metrics every 1s.
	Prometheus bool
}

// Env is a running test environment.
type Env struct {
	// Config reaches the cluster's API server as a member of system:masters.
	Config *rest.Config
	// Client is a direct (uncached) client whose scheme is Scheme.
	Client client.Client
	// Clientset is a client-go clientset.
	Clientset kubernetes.Interface
	// Kubeconfig is the path of a kubeconfig file for kubectl.
	Kubeconfig string
	// Dir is the cluster's directory; component logs are under Dir/logs.
	Dir string
	// PrometheusURL is the Prometheus server's base URL, "" unless Options.Prometheus.
	PrometheusURL string
	// Metrics is the metrics source Prometheus scrapes, nil unless Options.Prometheus.
	Metrics *MetricsSource

	opts     Options
	repoRoot string
	binDir   string

	mu   sync.Mutex
	mgr  *runningManager
	prom *promProcess

	teardownOnce sync.Once
}

// Default is the Env of the running test binary, set by Run before the tests run.
var Default *Env

// LogDir is where the components of the Env write their logs.
func (e *Env) LogDir() string { return filepath.Join(e.Dir, "logs") }

// Run starts an Env, runs the tests and tears everything down, and returns the exit code for
// os.Exit. It starts the local control plane (hack/local-cluster.sh up) in a fresh
// temporary directory, installs the CRDs from config/crd/bases and waits until they are
// served, starts Prometheus and the operator when asked, and sets Default. Teardown happens
// also on a panic in Run's goroutine and on SIGINT or SIGTERM; should the test binary die
// otherwise (a test's panic, `go test -timeout`), the cluster stops by itself once the
// process has gone and Prometheus is killed with it.
func Run(m *testing.M, opts Options) (code int) {
	if os.Getenv("STRIDE_E2E_SKIP") == "1" {
		fmt.Fprintln(os.Stderr, "framework: STRIDE_E2E_SKIP=1: skipping the end-to-end tests of this package")
		return 0
	}
	env := &Env{opts: opts}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		logf("Received %s: tearing down", sig)
		env.teardown(false)
		os.Exit(1)
	}()
	defer func() {
		if r := recover(); r != nil {
			env.teardown(false)
			panic(r)
		}
	}()

	start := time.Now()
	if err := env.setUp(); err != nil {
		logf("Setting up the test environment failed: %v", err)
		if env.Dir != "" {
			logf("Component logs are in %s", env.LogDir())
		}
		env.teardown(false)
		return 1
	}
	logf("Test environment up in %s (cluster dir %s)", time.Since(start).Round(10*time.Millisecond), env.Dir)
	Default = env
	code = m.Run()
	env.teardown(code == 0)
	return code
}

func (e *Env) setUp() error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	e.repoRoot = root
	cwd, _ := os.Getwd()
	e.Dir, err = os.MkdirTemp("", "stride-e2e-"+sanitize(filepath.Base(cwd), 20)+"-")
	if err != nil {
		return fmt.Errorf("create the cluster dir: %w", err)
	}
	if err := e.startCluster(); err != nil {
		return err
	}
	if err := e.setUpLogging(); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", e.Kubeconfig, err)
	}
	cfg.QPS = 200
	cfg.Burst = 400
	e.Config = cfg
	if e.Client, err = client.New(rest.CopyConfig(cfg), client.Options{Scheme: Scheme}); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if e.Clientset, err = kubernetes.NewForConfig(rest.CopyConfig(cfg)); err != nil {
		return fmt.Errorf("create clientset: %w", err)
	}
	if err := e.installCRDs(); err != nil {
		return err
	}
	if e.opts.Prometheus {
		if e.Metrics, err = NewMetricsSource(); err != nil {
			return err
		}
		if err := e.StartPrometheus(); err != nil {
			return err
		}
	}
	if e.opts.NewManager != nil {
		if err := e.StartManager(); err != nil {
			return err
		}
	}
	return nil
}

// startCluster runs hack/local-cluster.sh up with STRIDE_CLUSTER_DIR=e.Dir.
func (e *Env) startCluster() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.repoRoot, "hack", "local-cluster.sh"), "up")
	cmd.Env = append(os.Environ(),
		"STRIDE_CLUSTER_DIR="+e.Dir,
		fmt.Sprintf("STRIDE_OWNER_PID=%d", os.Getpid()))
	cmd.Stderr = os.Stderr
	if _, err := cmd.Output(); err != nil {
		return fmt.Errorf("hack/local-cluster.sh up: %w", err)
	}
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	if b, err := os.ReadFile(filepath.Join(e.Dir, "bin-dir")); err == nil {
		e.binDir = strings.TrimSpace(string(b))
	}
	return nil
}

func (e *Env) stopCluster() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.repoRoot, "hack", "local-cluster.sh"), "down")
	cmd.Env = append(os.Environ(), "STRIDE_CLUSTER_DIR="+e.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("hack/local-cluster.sh down: %w: %s", err, out)
	}
	return nil
}

// teardown stops everything once; it removes the cluster dir when removeDir is true.
func (e *Env) teardown(removeDir bool) {
	e.teardownOnce.Do(func() {
		e.StopManager()
		e.StopPrometheus()
		if e.Metrics != nil {
			e.Metrics.Close()
		}
		var errs []error
		if e.repoRoot != "" && e.Dir != "" {
			errs = append(errs, e.stopCluster())
		}
		errs = append(errs, logWriter.Close())
		if err := errors.Join(errs...); err != nil {
			logf("Teardown: %v", err)
			removeDir = false
		}
		if e.Dir == "" {
			return
		}
		if removeDir {
			if err := os.RemoveAll(e.Dir); err != nil {
				logf("Remove %s: %v", e.Dir, err)
			}
			return
		}
		logf("Kept the cluster dir for a post-mortem: %s (component logs in %s)", e.Dir, e.LogDir())
	})
}

// RepoRoot finds the repository root by walking up from the working directory to go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "framework: "+format+"\n", args...)
}

// sanitize turns s into lowercase letters, digits and dashes, at most n long.
func sanitize(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > n {
		out = strings.Trim(out[:n], "-")
	}
	if out == "" {
		out = "x"
	}
	return out
}
