package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// managerLogName is the file under LogDir that the operator (and client-go) log to.
const managerLogName = "manager.log"

var setLoggerOnce sync.Once

// lateWriter writes to a file until it is closed, and drops writes after that, so a log line
// from a goroutine that outlives the Env is harmless.
type lateWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *lateWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return len(p), nil
	}
	return w.f.Write(p)
}

func (w *lateWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

var logWriter = &lateWriter{}

// setUpLogging sends controller-runtime's and client-go's logs to LogDir/manager.log. The
// process-wide logger is set once; Run calls it for every Env.
func (e *Env) setUpLogging() error {
	f, err := os.OpenFile(filepath.Join(e.LogDir(), managerLogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open the manager log: %w", err)
	}
	logWriter.mu.Lock()
	if logWriter.f != nil {
		_ = logWriter.f.Close()
	}
	logWriter.f = f
	logWriter.mu.Unlock()
	setLoggerOnce.Do(func() {
		logger := zap.New(
			zap.WriteTo(logWriter),
			zap.UseDevMode(true),
			zap.StacktraceLevel(zapcore.PanicLevel),
			zap.ConsoleEncoder(func(c *zapcore.EncoderConfig) { c.EncodeTime = zapcore.RFC3339NanoTimeEncoder }),
		)
		ctrl.SetLogger(logger)
		klog.SetLogger(logger.WithName("klog"))
	})
	return nil
}

// Logger is the logger that writes to LogDir/manager.log.
func (e *Env) Logger() logr.Logger { return ctrl.Log.WithName("e2e") }

type runningManager struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// StartManager starts the operator with a fresh manager from Options.NewManager (stopping a
// running one first) and waits until its caches are synced. It logs to LogDir/manager.log.
func (e *Env) StartManager() error {
	if e.opts.NewManager == nil {
		return errors.New("start manager: Options.NewManager is nil")
	}
	e.StopManager()
	e.mu.Lock()
	defer e.mu.Unlock()
	log := e.Logger()
	mgr, err := e.opts.NewManager(rest.CopyConfig(e.Config))
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rm := &runningManager{cancel: cancel, done: make(chan struct{})}
	log.Info("Starting the manager")
	go func() {
		defer close(rm.done)
		rm.err = mgr.Start(ctx)
		if rm.err != nil {
			log.Error(rm.err, "Manager stopped with an error")
		}
	}()

	syncCtx, syncCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer syncCancel()
	synced := make(chan bool, 1)
	go func() {
		select {
		case <-mgr.Elected():
		case <-syncCtx.Done():
			synced <- false
			return
		}
		synced <- mgr.GetCache().WaitForCacheSync(syncCtx)
	}()
	select {
	case <-rm.done:
		cancel()
		return fmt.Errorf("manager exited while starting: %w", rm.err)
	case ok := <-synced:
		if !ok {
			cancel()
			<-rm.done
			return fmt.Errorf("manager caches did not sync (see %s)", filepath.Join(e.LogDir(), managerLogName))
		}
	}
	log.Info("Manager started")
	e.mgr = rm
	return nil
}

// StopManagerDuring stops the operator for a test that starts it again itself, and makes
// sure it runs again when the test ends, however it ends.
func (e *Env) StopManagerDuring(t testing.TB) {
	t.Helper()
	e.StopManager()
	t.Cleanup(func() {
		if !e.ManagerRunning() {
			if err := e.StartManager(); err != nil {
				t.Errorf("restart the operator after the test: %v", err)
			}
		}
	})
}

// RestartRepeatedly kills and starts the operator again and again, each time after letting
// it run for a different short while (100ms to 500ms), until done holds, for at most 60
// restarts or two minutes. It leaves the operator running and returns the restart count.
func (e *Env) RestartRepeatedly(t testing.TB, done func() bool) int {
	t.Helper()
	e.StopManagerDuring(t)
	restarts := 0
	deadline := time.Now().Add(2 * time.Minute)
	for ; restarts < 60 && time.Now().Before(deadline); restarts++ {
		if err := e.StartManager(); err != nil {
			t.Fatal(err)
		}
		if done() {
			break
		}
		// The operator runs for a while that differs from one restart to the next: an
		// interruption at any moment is the behaviour under test.
		Consistently(t, time.Duration(100+(restarts*37)%400)*time.Millisecond, "operator running", func() (bool, error) {
			return e.ManagerRunning(), nil
		})
		e.StopManager()
	}
	if !e.ManagerRunning() {
		if err := e.StartManager(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("operator restarted %d times", restarts)
	return restarts
}

// StopManager stops the operator, if it runs, and waits until it has stopped: the next
// StartManager behaves like a restarted operator process.
func (e *Env) StopManager() {
	e.mu.Lock()
	rm := e.mgr
	e.mgr = nil
	e.mu.Unlock()
	if rm == nil {
		return
	}
	e.Logger().Info("Stopping the manager")
	rm.cancel()
	select {
	case <-rm.done:
	case <-time.After(2 * time.Minute):
		logf("The manager did not stop within 2m")
	}
	e.Logger().Info("Manager stopped")
}

// ManagerRunning reports whether the operator runs.
func (e *Env) ManagerRunning() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mgr == nil {
		return false
	}
	select {
	case <-e.mgr.done:
		return false
	default:
		return true
	}
}
