// Command kubectl-stride is the kubectl plugin for Stride: `kubectl stride get rollout web`,
// `kubectl stride promote web`, `kubectl stride lint -f rollout.yaml` and more. Installed on
// the PATH, kubectl finds it by its name.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/stride-dev/stride/internal/cli"
)

func main() {
	cmd := cli.NewRootCommand(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	os.Exit(cli.Execute(cmd))
}
