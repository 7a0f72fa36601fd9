package analysis

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// maxValueText bounds the text of a value kept in status.
const maxValueText = 256

// Sample is one value of a result: a number (float64) or a bool, with the labels of its series
// (empty for a scalar).
type Sample struct {
	// Value is a float64 or a bool.
	Value any
	// Labels of the series, e.g. {"pod": "web-1"}.
	Labels map[string]string
}

// Value is what a provider measured.
//
// A single value (a Prometheus scalar, a JSON number or bool) has Single set and exactly one
// sample. A list (a Prometheus instant vector, a JSON list) has Single unset and one sample per
// element; an empty list is "no data".
type Value struct {
	// Single is true for one value rather than a list.
	Single bool
	// Samples in order. Vectors are sorted by their labels so that result[0] is stable.
	Samples []Sample
	// Reason says why an empty value is empty, e.g. "query returned no series".
	Reason string
}

// Scalar returns a single number.
func Scalar(v float64) Value {
	return Value{Single: true, Samples: []Sample{{Value: v}}}
}

// Bool returns a single bool.
func Bool(b bool) Value {
	return Value{Single: true, Samples: []Sample{{Value: b}}}
}

// List returns a list of numbers without labels.
func List(vs ...float64) Value {
	out := Value{Samples: make([]Sample, 0, len(vs))}
	for _, v := range vs {
		out.Samples = append(out.Samples, Sample{Value: v})
	}
	return out
}

// Empty reports whether the value holds no samples at all (no data).
func (v Value) Empty() bool {
	return len(v.Samples) == 0
}

// AllNaN reports whether the value has samples and every one is NaN: Prometheus's answer to
// 0/0, for example a success rate without any requests.
func (v Value) AllNaN() bool {
	if len(v.Samples) == 0 {
		return false
	}
	for _, s := range v.Samples {
		f, ok := s.Value.(float64)
		if !ok || !math.IsNaN(f) {
			return false
		}
	}
	return true
}

// numbers returns the values as float64s when every sample is a number.
func (v Value) numbers() ([]float64, bool) {
	out := make([]float64, 0, len(v.Samples))
	for _, s := range v.Samples {
		f, ok := s.Value.(float64)
		if !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// String is the value as text: "0.91", "true", or "[0.91, 0.97]". A vector of one series
// without labels (what sum(...) returns) reads as its number. Long lists are cut.
func (v Value) String() string {
	if len(v.Samples) == 1 && (v.Single || len(v.Samples[0].Labels) == 0) {
		return formatSample(v.Samples[0].Value)
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range v.Samples {
		if i > 0 {
			b.WriteString(", ")
		}
		t := formatSample(s.Value)
		if b.Len()+len(t) > maxValueText-16 {
			b.WriteString("... " + strconv.Itoa(len(v.Samples)) + " values")
			break
		}
		b.WriteString(t)
	}
	b.WriteByte(']')
	return b.String()
}

// formatSample writes a number with as few digits as represent it exactly, or a bool.
func formatSample(v any) string {
	switch x := v.(type) {
	case float64:
		return formatFloat(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return "?"
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// shortFloat writes a number for a sentence: at most 6 significant digits.
func shortFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatFloat(f)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// sortSamples orders samples by their labels so that a vector's order does not depend on
// the server.
func sortSamples(s []Sample) {
	keys := make([]string, len(s))
	for i := range s {
		keys[i] = labelKey(s[i].Labels)
	}
	sort.Sort(byKey{s, keys})
}

type byKey struct {
	s    []Sample
	keys []string
}

func (b byKey) Len() int           { return len(b.s) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.s[i], b.s[j] = b.s[j], b.s[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

func labelKey(l map[string]string) string {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
		b.WriteByte(',')
	}
	return b.String()
}
