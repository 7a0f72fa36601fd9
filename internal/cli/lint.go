package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stride-dev/stride/internal/cli/lint"
)

type lintOptions struct {
	f         *factory
	files     []string
	recursive bool
	external  []string
	disable   []string
	strict    bool
}

func newLintCommand(f *factory) *cobra.Command {
	o := &lintOptions{f: f}
	var rules []string
	for name, desc := range lint.Rules {
		rules = append(rules, fmt.Sprintf("  %-26s %s", name, desc))
	}
	sort.Strings(rules)
	cmd := &cobra.Command{
		Use:   "lint -f FILE [-f FILE...]",
		Short: "Validate Rollouts and analysis templates offline",
		Long: `Validate Stride objects (Rollout, AnalysisTemplate, ClusterAnalysisTemplate,
AnalysisRun) in YAML or JSON files, without a cluster, with the rules the API server
applies: the CRDs' OpenAPI schemas and CEL validation rules (built into this binary), unknown
fields, defaults and metadata. Then checks of meaning the API server cannot make:

` + strings.Join(rules, "\n") + `

A Rollout may name analysis templates that live only in the cluster: list them with
--external-templates, or in the Rollout's annotation stride.dev/external-templates
(comma-separated). A rule is turned off with --disable RULE, or for one object with the
annotation stride.dev/lint-disable: RULE.

Each problem is printed as FILE:LINE: field.path: message. The exit code is 1 when there are
errors, 0 otherwise (warnings alone do not fail unless --strict). Objects of other kinds are
skipped, but Services in the files are used to check the names a strategy refers to.

Plain kubectl: kubectl apply --dry-run=server -f FILE (needs a cluster with the CRDs; does
not run the checks of meaning).`,
		Example: `  # One file
  kubectl stride lint -f rollout.yaml

  # A directory, recursively, with a template that exists only in the cluster
  kubectl stride lint -f deploy/ -R --external-templates success-rate

  # From stdin
  kustomize build overlays/prod | kubectl stride lint -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "File, directory or - (stdin) to lint; repeatable")
	cmd.Flags().BoolVarP(&o.recursive, "recursive", "R", false, "Also lint the files in subdirectories of a directory given with -f")
	cmd.Flags().StringSliceVar(&o.external, "external-templates", nil, "Analysis template names that exist in the cluster (comma-separated)")
	cmd.Flags().StringSliceVar(&o.disable, "disable", nil, "Rules of meaning not to apply (comma-separated)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "Fail on warnings too")
	return cmd
}

func (o *lintOptions) run(ctx context.Context) error {
	if len(o.files) == 0 {
		return fmt.Errorf("no files: give one or more -f FILE (a file, a directory, or - for stdin)")
	}
	for _, r := range o.disable {
		if _, ok := lint.Rules[r]; !ok {
			return fmt.Errorf("unknown rule %q for --disable", r)
		}
	}
	sources, err := readSources(o.files, o.recursive, o.f.streams.In)
	if err != nil {
		return err
	}
	l, err := lint.New()
	if err != nil {
		return fmt.Errorf("load the CRD schemas: %w", err)
	}
	res := l.Lint(ctx, sources, lint.Options{ExternalTemplates: o.external, Disable: o.disable, Strict: o.strict})
	out := o.f.streams.Out
	for _, p := range res.Problems {
		fmt.Fprintln(out, p.String())
	}
	errs := res.Errors()
	warnings := len(res.Problems) - errs
	summary := fmt.Sprintf("%s in %s", plural(res.Objects, "Stride object"), plural(res.Files, "file"))
	if errs > 0 {
		msg := fmt.Sprintf("%s: %s", summary, plural(errs, "error"))
		if warnings > 0 {
			msg += ", " + plural(warnings, "warning")
		}
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%s", msg)}
	}
	if warnings > 0 {
		fmt.Fprintf(out, "%s: no errors, %s\n", summary, plural(warnings, "warning"))
		return nil
	}
	fmt.Fprintf(out, "%s: no problems\n", summary)
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readSources reads the -f arguments: files, directories (their .yaml, .yml and .json
// files) and - for stdin.
func readSources(args []string, recursive bool, stdin io.Reader) ([]lint.Source, error) {
	var out []lint.Source
	for _, a := range args {
		if a == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read stdin: %w", err)
			}
			out = append(out, lint.Source{Name: "-", Data: data})
			continue
		}
		info, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", a, err)
		}
		if !info.IsDir() {
			data, err := os.ReadFile(a)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", a, err)
			}
			out = append(out, lint.Source{Name: a, Data: data})
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != a && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %w", a, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no .yaml, .yml or .json files in %s", a)
		}
		for _, p := range found {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			out = append(out, lint.Source{Name: p, Data: data})
		}
	}
	return out, nil
}
