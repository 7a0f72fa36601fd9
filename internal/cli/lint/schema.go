package lint

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// kindSchema validates objects of one kind the way the API server does on create: prune and
// report unknown fields, apply the schema's defaults, validate metadata, the OpenAPI schema,
// list types and the CEL rules (x-kubernetes-validations).
type kindSchema struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	// hasStatus is true when status is a subresource: a create ignores it.
	hasStatus  bool
	structural *structuralschema.Structural
	openAPI    apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// loadSchemas reads every CustomResourceDefinition in fsys matching glob and builds a
// validator for each served version, keyed by group/version/kind.
func loadSchemas(fsys fs.FS, glob string) (map[schema.GroupVersionKind]*kindSchema, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, fmt.Errorf("list CRDs %s: %w", glob, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no CRDs match %s", glob)
	}
	out := map[schema.GroupVersionKind]*kindSchema{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read CRD %s: %w", name, err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("decode CRD %s: %w", path.Base(name), err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			ks, err := newKindSchema(&crd, &v)
			if err != nil {
				return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err)
			}
			out[ks.gvk] = ks
		}
	}
	return out, nil
}

func newKindSchema(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion) (*kindSchema, error) {
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("convert schema: %w", err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("build structural schema: %w", err)
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("prune defaults: %w", err)
	}
	openAPI, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("build OpenAPI validator: %w", err)
	}
	return &kindSchema{
		gvk:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind},
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  v.Subresources != nil && v.Subresources.Status != nil,
		structural: s,
		openAPI:    openAPI,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// validate checks obj (JSON-compatible values) and returns the errors the API server would
// give for a create. obj is pruned and defaulted in place.
func (k *kindSchema) validate(ctx context.Context, obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	if k.hasStatus {
		delete(obj, "status")
	}
	unknown := pruning.PruneWithOptions(obj, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, k.structural)
	metaErr, unknownMeta := schemaobjectmeta.CoerceWithOptions(nil, obj, k.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	for _, p := range append(unknown, unknownMeta...) {
		errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p, Detail: unknownFieldDetail, BadValue: field.OmitValueType{}})
	}
	if metaErr != nil {
		return append(errs, metaErr)
	}
	structuraldefaulting.Default(obj, k.structural)

	// Metadata is checked on a copy: a file usually leaves the namespace to kubectl's -n,
	// which the server fills in, and the object itself must keep what the file says.
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if m, ok := obj["metadata"].(map[string]any); ok {
		u.Object["metadata"] = runtime.DeepCopyJSONValue(m)
	}
	if k.namespaced && u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	if !k.namespaced {
		u.SetNamespace("")
	}
	errs = append(errs, apimachineryvalidation.ValidateObjectMetaAccessor(u, k.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, k.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, obj, k.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, k.structural, obj)...)
	if k.cel != nil {
		if hasBlockingErr(errs) {
			errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
		} else {
			celErrs, _ := k.cel.Validate(ctx, nil, k.structural, obj, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	return errs
}

// hasBlockingErr reports errors after which the API server skips the CEL rules (the same
// list as the server's): a missing or malformed value makes the rules meaningless. Unknown
// fields are not among them: the server prunes those before it validates.
func hasBlockingErr(errs field.ErrorList) bool {
	for _, e := range errs {
		if e.Detail == unknownFieldDetail {
			continue
		}
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

const unknownFieldDetail = "unknown field"
