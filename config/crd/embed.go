// Package crd embeds the CustomResourceDefinitions of the Stride API, so tools such as
// `kubectl stride lint` validate objects offline with exactly the rules the API server uses.
package crd

import "embed"

// Bases holds the generated CRDs as bases/<group>_<plural>.yaml.
//
//go:embed bases/*.yaml
var Bases embed.FS
