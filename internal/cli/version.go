package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCommand(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version",
		Long: `Print the version of kubectl-stride and the Go version and platform it was built for.
The operator's version is the image tag of its Deployment:

Plain kubectl: kubectl get deploy -n stride-system -o jsonpath='{..image}'`,
		Example: `  kubectl stride version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(f.streams.Out, "kubectl-stride %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
