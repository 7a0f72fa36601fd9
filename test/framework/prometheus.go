package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promProcess is a running Prometheus server.
type promProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// prometheusBinary runs hack/install-prometheus.sh and returns the last line it prints.
func (e *Env) prometheusBinary() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.repoRoot, "hack", "install-prometheus.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/install-prometheus.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

func (e *Env) promDir() string { return filepath.Join(e.Dir, "prometheus") }

// preparePrometheus picks the port and writes the configuration, once per Env.
func (e *Env) preparePrometheus() error {
	if e.PrometheusURL != "" {
		return nil
	}
	if e.Metrics == nil {
		return errors.New("start prometheus: no metrics source (Options.Prometheus is false)")
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(e.promDir(), "data"), 0o755); err != nil {
		return err
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: stride-test
  scrape_interval: 1s
  static_configs:
  - targets: [%q]
`, e.Metrics.Addr)
	if err := os.WriteFile(filepath.Join(e.promDir(), "prometheus.yml"), []byte(config), 0o644); err != nil {
		return err
	}
	e.PrometheusURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return nil
}

// StartPrometheus starts the Prometheus server (again), on the same port and with the same
// data as before, and waits until it is ready. It logs to LogDir/prometheus.log.
func (e *Env) StartPrometheus() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.prom != nil {
		return nil
	}
	bin, err := e.prometheusBinary()
	if err != nil {
		return err
	}
	if err := e.preparePrometheus(); err != nil {
		return err
	}
	u, err := url.Parse(e.PrometheusURL)
	if err != nil {
		return err
	}
	logPath := filepath.Join(e.LogDir(), "prometheus.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(e.promDir(), "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(e.promDir(), "data"),
		"--storage.tsdb.retention.time=1d",
		"--web.listen-address="+u.Host,
		"--log.level=info",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Its own process group, so a Ctrl-C reaches the harness, which stops it; killed with the
	// test binary should that die without tearing down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	p := &promProcess{cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()

	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-p.done:
			logFile.Close()
			return fmt.Errorf("prometheus exited while starting (see %s)", logPath)
		default:
		}
		if httpOK(e.PrometheusURL + "/-/ready") {
			break
		}
		if time.Now().After(deadline) {
			stopProcess(p)
			return fmt.Errorf("prometheus not ready after 1m (see %s)", logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.prom = p
	return nil
}

// StopPrometheus stops the Prometheus server and waits until it has exited; its URL then
// refuses connections until StartPrometheus.
func (e *Env) StopPrometheus() {
	e.mu.Lock()
	p := e.prom
	e.prom = nil
	e.mu.Unlock()
	if p != nil {
		stopProcess(p)
	}
}

func stopProcess(p *promProcess) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// Sample is one series of an instant query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// QueryPrometheus runs an instant query and returns its vector or scalar result.
func (e *Env) QueryPrometheus(ctx context.Context, query string) ([]Sample, error) {
	if e.PrometheusURL == "" {
		return nil, errors.New("prometheus is not part of this environment")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		e.PrometheusURL+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode prometheus answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", query, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			f, err := sampleValue(v.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: v.Metric, Value: f})
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			return nil, err
		}
		f, err := sampleValue(v)
		if err != nil {
			return nil, err
		}
		return []Sample{{Value: f}}, nil
	default:
		return nil, fmt.Errorf("query %q: unsupported result type %q", query, r.Data.ResultType)
	}
}

func sampleValue(v [2]any) (float64, error) {
	s, ok := v[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v[1])
	}
	return strconv.ParseFloat(s, 64)
}

// WaitForSeries waits until the instant query returns a non-empty result, for at most a
// minute.
func (e *Env) WaitForSeries(t testing.TB, query string) {
	t.Helper()
	Eventually(t, time.Minute, fmt.Sprintf("prometheus to return series for %s", query), func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		samples, err := e.QueryPrometheus(ctx, query)
		if err != nil {
			return false, err
		}
		return len(samples) > 0, nil
	})
}

func httpOK(u string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
