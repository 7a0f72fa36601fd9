// Package v1alpha1 contains the Stride API: Rollout, AnalysisTemplate,
// ClusterAnalysisTemplate and AnalysisRun.
//
// +kubebuilder:object:generate=true
// +groupName=stride.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the Stride API.
	GroupVersion = schema.GroupVersion{Group: "stride.dev", Version: "v1alpha1"}

	// SchemeBuilder adds the Stride types to a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Stride types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
