package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// Scheme knows the client-go types and the Stride API.
var Scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(Scheme))
	utilruntime.Must(v1alpha1.AddToScheme(Scheme))
}

// factory gives commands what they share: the kubeconfig flags, a client, the namespace,
// the clock and the streams.
type factory struct {
	flags     *genericclioptions.ConfigFlags
	streams   genericiooptions.IOStreams
	clock     clock.PassiveClock
	requester string

	once   sync.Once
	client client.Client
	err    error
}

func newFactory(o Options) *factory {
	f := &factory{flags: newConfigFlags(), streams: o.Streams, clock: o.Clock, requester: o.Requester, client: o.Client}
	if f.clock == nil {
		f.clock = clock.RealClock{}
	}
	if f.streams.In == nil {
		f.streams.In = os.Stdin
	}
	if f.streams.Out == nil {
		f.streams.Out = os.Stdout
	}
	if f.streams.ErrOut == nil {
		f.streams.ErrOut = os.Stderr
	}
	return f
}

// Client returns a client for the cluster of the kubeconfig flags.
func (f *factory) Client() (client.Client, error) {
	f.once.Do(func() {
		if f.client != nil {
			return
		}
		cfg, err := f.flags.ToRESTConfig()
		if err != nil {
			f.err = fmt.Errorf("load kubeconfig: %w", err)
			return
		}
		cfg.UserAgent = "kubectl-stride/" + Version
		mapper, err := f.flags.ToRESTMapper()
		if err != nil {
			f.err = fmt.Errorf("discover the cluster's API: %w", err)
			return
		}
		f.client, f.err = client.New(cfg, client.Options{Scheme: Scheme, Mapper: mapper})
		if f.err != nil {
			f.err = fmt.Errorf("create client: %w", f.err)
		}
	})
	return f.client, f.err
}

// Namespace is the namespace of -n, or of the kubeconfig context, or "default".
func (f *factory) Namespace() (string, error) {
	if f.flags.Namespace != nil && *f.flags.Namespace != "" {
		return *f.flags.Namespace, nil
	}
	ns, _, err := f.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("read the namespace from kubeconfig: %w", err)
	}
	return ns, nil
}

// Requester names who makes a request, for stride.dev/requested-by: the impersonated user,
// else the kubeconfig context's user, else $USER.
func (f *factory) Requester() string {
	if f.requester != "" {
		return f.requester
	}
	return "kubectl-stride (" + f.userName() + ")"
}

func (f *factory) userName() string {
	if f.flags.Impersonate != nil && *f.flags.Impersonate != "" {
		return *f.flags.Impersonate
	}
	if f.flags.AuthInfoName != nil && *f.flags.AuthInfoName != "" {
		return *f.flags.AuthInfoName
	}
	if raw, err := f.flags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		name := raw.CurrentContext
		if f.flags.Context != nil && *f.flags.Context != "" {
			name = *f.flags.Context
		}
		if c := raw.Contexts[name]; c != nil && c.AuthInfo != "" {
			return c.AuthInfo
		}
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// Now is the clock's time.
func (f *factory) Now() time.Time { return f.clock.Now() }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// outputStyle is the style for w: symbols on a terminal, colors too unless noColor, the
// NO_COLOR environment variable or TERM=dumb say otherwise.
func outputStyle(w io.Writer, noColor bool) style {
	if !isTerminal(w) {
		return style{}
	}
	color := !noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return style{unicode: true, color: color}
}
