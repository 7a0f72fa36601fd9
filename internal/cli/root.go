// Package cli implements the kubectl plugin `kubectl stride`: commands to watch and steer
// Rollouts (get, status, list, promote, abort, retry, pause, resume, restart, undo,
// set image) and to validate Stride YAML offline (lint).
//
// Every command follows kubectl's conventions (--kubeconfig, --context, -n, -A,
// -o json|yaml) and has a plain-kubectl equivalent, named in its help. One-shot requests
// (promote, abort, retry) are annotations on the Rollout that the operator acknowledges in
// status.handledRequests; they never change the spec, so a GitOps tool sees no drift.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Version of the plugin, set at build time with
// -ldflags "-X github.com/stride-dev/stride/internal/cli.Version=v0.1.0".
var Version = "dev"

// Exit codes.
const (
	// ExitOK: success, or `status` saw the Rollout Healthy (or Paused with --until-paused).
	ExitOK = 0
	// ExitFailed: an error, a refused command, lint problems, or `status` saw the Rollout
	// Degraded.
	ExitFailed = 1
	// ExitTimeout: `status` gave up waiting (--timeout).
	ExitTimeout = 2
)

// ExitError is an error with the process exit code it calls for.
type ExitError struct {
	// Code is the exit code.
	Code int
	// Err says why; nil when the command already printed everything.
	Err error
}

// Error implements error.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit code for the result of a command: 0 for nil, the code of an
// ExitError, and 1 for any other error.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailed
}

// Options configure the root command. The zero value of every field but Streams means
// "as kubectl would do it"; tests set Client and Clock.
type Options struct {
	// Streams are the command's stdin, stdout and stderr.
	Streams genericiooptions.IOStreams
	// Client, when set, is used instead of a client built from the kubeconfig flags.
	Client client.Client
	// Clock, when set, replaces the wall clock for rendering and request tokens.
	Clock clock.PassiveClock
	// Requester, when set, replaces the name recorded in stride.dev/requested-by.
	Requester string
}

// NewRootCommand returns the `kubectl stride` command with all its subcommands.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return NewRootCommandWithOptions(Options{Streams: streams})
}

// NewRootCommandWithOptions returns the `kubectl stride` command configured by o.
func NewRootCommandWithOptions(o Options) *cobra.Command {
	f := newFactory(o)
	cmd := &cobra.Command{
		Use:   "kubectl-stride",
		Short: "Watch and steer Stride Rollouts",
		Long: `kubectl stride watches and steers Stride Rollouts: progressive delivery by canary,
blue-green or rolling update, with automatic rollback when analysis fails.

Every command is also doable with plain kubectl; each command's help says how.
Requests such as promote, abort and retry are annotations on the Rollout that the operator
acknowledges in status.handledRequests, so they act once and never make a GitOps tool
report drift.`,
		Example: `  # The state of a rollout as a tree, redrawn as it changes
  kubectl stride get rollout web -n shop -w

  # Wait until the rollout is done (exit 0 Healthy, 1 Degraded, 2 timeout)
  kubectl stride status web --timeout 10m

  # Move past a pause, or abort and send all traffic back to stable
  kubectl stride promote web
  kubectl stride abort web

  # Check manifests before they reach the cluster
  kubectl stride lint -f deploy/`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetIn(o.Streams.In)
	cmd.SetOut(o.Streams.Out)
	cmd.SetErr(o.Streams.ErrOut)
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	// `kubectl stride ...` shows as such in help and completion.
	cmd.Annotations[cobra.CommandDisplayNameAnnotation] = "kubectl stride"
	f.flags.AddFlags(cmd.PersistentFlags())

	cmd.AddGroup(
		&cobra.Group{ID: groupInspect, Title: "Inspect:"},
		&cobra.Group{ID: groupSteer, Title: "Steer an update:"},
		&cobra.Group{ID: groupChange, Title: "Change the workload:"},
		&cobra.Group{ID: groupOther, Title: "Other:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			cmd.AddCommand(c)
		}
	}
	add(groupInspect, newGetCommand(f), newStatusCommand(f), newListCommand(f))
	add(groupSteer, newPromoteCommand(f), newAbortCommand(f), newRetryCommand(f), newPauseCommand(f), newResumeCommand(f))
	add(groupChange, newSetCommand(f), newRestartCommand(f), newUndoCommand(f))
	add(groupOther, newLintCommand(f), newVersionCommand(f))
	cmd.SetHelpCommandGroupID(groupOther)
	cmd.SetCompletionCommandGroupID(groupOther)
	return cmd
}

const (
	groupInspect = "inspect"
	groupSteer   = "steer"
	groupChange  = "change"
	groupOther   = "other"
)

// Execute runs cmd until it ends or the process is interrupted, prints the error (if any)
// on the command's stderr, and returns the exit code.
func Execute(cmd *cobra.Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", err)
		}
	}
	return ExitCode(err)
}

// newConfigFlags returns kubectl's connection flags.
func newConfigFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true)
}
