package cli

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Output formats of -o besides the default human one.
const (
	outputJSON = "json"
	outputYAML = "yaml"
)

// checkOutput validates an -o value ("" is the human format).
func checkOutput(o string) error {
	switch o {
	case "", outputJSON, outputYAML:
		return nil
	}
	return fmt.Errorf("unknown output format %q: use json or yaml", o)
}

// printObject writes obj (an object or a list) as JSON or YAML, with apiVersion and kind
// set and managedFields left out, like kubectl get -o.
func printObject(w io.Writer, obj runtime.Object, format string) error {
	obj = obj.DeepCopyObject()
	if err := prepareForPrint(obj); err != nil {
		return err
	}
	if meta.IsListType(obj) {
		items, err := meta.ExtractList(obj)
		if err != nil {
			return fmt.Errorf("read list: %w", err)
		}
		for _, it := range items {
			if err := prepareForPrint(it); err != nil {
				return err
			}
		}
		if err := meta.SetList(obj, items); err != nil {
			return fmt.Errorf("write list: %w", err)
		}
	}
	var p printers.ResourcePrinter = &printers.JSONPrinter{}
	if format == outputYAML {
		p = &printers.YAMLPrinter{}
	}
	return p.PrintObj(obj, w)
}

func prepareForPrint(obj runtime.Object) error {
	gvk, err := apiutil.GVKForObject(obj, Scheme)
	if err != nil {
		return fmt.Errorf("find the kind of %T: %w", obj, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	if acc, err := meta.Accessor(obj); err == nil {
		acc.SetManagedFields(nil)
	}
	return nil
}
