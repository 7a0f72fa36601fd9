package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestEveryCommandTeaches checks the help of every command: a long description, an
// example, and (for commands that act on a cluster) the plain-kubectl equivalent.
func TestEveryCommandTeaches(t *testing.T) {
	root := NewRootCommand(genericiooptions.NewTestIOStreamsDiscard())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c == root || !c.Runnable() || c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "kubectl-stride completion") || c.Name() == "set" {
			return
		}
		if c.Long == "" {
			t.Errorf("%s has no Long description", c.CommandPath())
		}
		if c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		if !strings.Contains(c.Long, "Plain kubectl:") {
			t.Errorf("%s does not name its plain-kubectl equivalent", c.CommandPath())
		}
	}
	walk(root)
}

func TestRequestHelpShowsAnnotateCommand(t *testing.T) {
	res := run(t, newFakeClient(), "promote", "--help")
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := `kubectl annotate rollout NAME stride.dev/promote="$(date +%s)" --overwrite`
	if !strings.Contains(res.out, want) {
		t.Errorf("promote --help lacks %q:\n%s", want, res.out)
	}
}

func TestVersion(t *testing.T) {
	old := Version
	Version = "v1.2.3"
	defer func() { Version = old }()
	res := run(t, newFakeClient(), "version")
	want := "kubectl-stride v1.2.3 (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if res.err != nil || res.out != want {
		t.Errorf("version: out %q err %v, want %q", res.out, res.err, want)
	}
}

func TestCompletionScript(t *testing.T) {
	res := run(t, newFakeClient(), "completion", "bash")
	if res.err != nil || !strings.Contains(res.out, "bash completion") {
		t.Errorf("completion bash: err %v, output starts %q", res.err, firstLine(res.out))
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func TestCompleteRolloutNames(t *testing.T) {
	c := newFakeClient(canaryMidPause(), blueGreenWaiting())
	res := run(t, c, cobra.ShellCompRequestCmd, "promote", "-n", "shop", "w")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !strings.HasPrefix(res.out, "web\tCanary Paused\n") || strings.Contains(res.out, "api") {
		t.Errorf("completion of promote w:\n%s", res.out)
	}
	res = run(t, c, cobra.ShellCompRequestCmd, "get", "-n", "shop", "")
	if !strings.Contains(res.out, "rollout\n") || !strings.Contains(res.out, "api\t") {
		t.Errorf("completion of get: want the word rollout and the names:\n%s", res.out)
	}
}

func TestExecuteReportsErrorsAndCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"ok", []string{"version"}, ExitOK, ""},
		{"usage error", []string{"status"}, ExitFailed, "error: accepts 1 arg(s), received 0\n"},
		{"refusal", []string{"retry", "web", "-n", "shop"}, ExitFailed, "error: nothing to retry: rollout \"web\" is not aborted (it is Healthy)\n"},
		{"degraded", []string{"status", "web", "-n", "checkout"}, ExitFailed, "error: rollout \"web\" is Degraded: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aborted := canaryAborted()
			aborted.Namespace = "checkout"
			var out, errOut bytes.Buffer
			cmd := NewRootCommandWithOptions(Options{
				Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
				Client:  newFakeClient(canaryRollout(), aborted),
			})
			cmd.SetArgs(tc.args)
			if code := Execute(cmd); code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, errOut.String())
			}
			if !strings.HasPrefix(errOut.String(), tc.stderr) || (tc.stderr == "" && errOut.Len() > 0) {
				t.Errorf("stderr = %q, want it to start with %q", errOut.String(), tc.stderr)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	if ExitCode(nil) != 0 || ExitCode(errors.New("x")) != 1 || ExitCode(&ExitError{Code: 2}) != 2 {
		t.Error("ExitCode")
	}
	wrapped := errors.Join(errors.New("context"), &ExitError{Code: ExitTimeout, Err: errors.New("timed out")})
	if ExitCode(wrapped) != ExitTimeout {
		t.Errorf("ExitCode of a wrapped ExitError = %d", ExitCode(wrapped))
	}
}

func TestLintCommand(t *testing.T) {
	good := filepath.Join("lint", "testdata", "good", "canary.yaml")
	res := run(t, newFakeClient(), "lint", "-f", good)
	if res.err != nil || res.out != "3 Stride objects in 1 file: no problems\n" {
		t.Errorf("good file: out %q err %v", res.out, res.err)
	}

	bad := filepath.Join("lint", "testdata", "bad", "weight-too-high.yaml")
	res = run(t, newFakeClient(), "lint", "-f", good, "-f", bad)
	if ExitCode(res.err) != ExitFailed || res.err.Error() != "4 Stride objects in 2 files: 1 error" {
		t.Errorf("bad file: exit %d err %v", ExitCode(res.err), res.err)
	}
	want := bad + ":20: spec.strategy.canary.steps[0].setWeight: Invalid value: 150: spec.strategy.canary.steps[0].setWeight in body should be less than or equal to 100\n"
	if res.out != want {
		t.Errorf("output = %q, want %q", res.out, want)
	}

	// A directory, non-recursive: the good fixtures only.
	res = run(t, newFakeClient(), "lint", "-f", filepath.Join("lint", "testdata", "good"))
	if res.err != nil || !strings.HasSuffix(res.out, "in 2 files: no problems\n") {
		t.Errorf("directory: out %q err %v", res.out, res.err)
	}
	// Recursive over testdata finds the bad ones too.
	res = run(t, newFakeClient(), "lint", "-R", "-f", filepath.Join("lint", "testdata"))
	if ExitCode(res.err) != ExitFailed {
		t.Errorf("recursive: exit %d, want 1", ExitCode(res.err))
	}

	res = run(t, newFakeClient(), "lint", "-f", filepath.Join("lint", "testdata", "warn", "trailing-pause.yaml"))
	if res.err != nil || !strings.Contains(res.out, "warning: ") || !strings.HasSuffix(res.out, "no errors, 1 warning\n") {
		t.Errorf("warning: out %q err %v", res.out, res.err)
	}
	res = run(t, newFakeClient(), "lint", "--strict", "-f", filepath.Join("lint", "testdata", "warn", "trailing-pause.yaml"))
	if ExitCode(res.err) != ExitFailed {
		t.Errorf("--strict with a warning: exit %d, want 1", ExitCode(res.err))
	}

	undefined := filepath.Join("lint", "testdata", "bad", "undefined-template.yaml")
	if res := run(t, newFakeClient(), "lint", "-f", undefined, "--external-templates", "error-rate"); res.err != nil {
		t.Errorf("--external-templates: err %v out %q", res.err, res.out)
	}
	if res := run(t, newFakeClient(), "lint", "-f", good, "--disable", "nonsense"); res.err == nil || !strings.Contains(res.err.Error(), `unknown rule "nonsense"`) {
		t.Errorf("--disable nonsense: err %v", res.err)
	}
	if res := run(t, newFakeClient(), "lint"); res.err == nil || !strings.Contains(res.err.Error(), "no files") {
		t.Errorf("no -f: err %v", res.err)
	}
}

func TestLintFromStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("lint", "testdata", "bad", "two-strategies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cmd := NewRootCommandWithOptions(Options{Streams: genericiooptions.IOStreams{In: bytes.NewReader(data), Out: &out, ErrOut: &errOut}})
	cmd.SetArgs([]string{"lint", "-f", "-"})
	if code := Execute(cmd); code != ExitFailed {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.HasPrefix(out.String(), "-:16: spec.strategy: ") {
		t.Errorf("output = %q", out.String())
	}
}
