package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// maxWebBody bounds the response body read from a web provider.
const maxWebBody = 1 << 20

// WebProvider calls an HTTP endpoint that answers JSON and reads one value from it.
//
// jsonPath is a Kubernetes JSONPath ("{$.data.ok}"; the braces may be left out); empty
// selects the whole body. The selected value must be a number, a bool, a string holding a
// number, or a list of those; several matches (e.g. "{$.items[*].rate}") form a list. A
// null or an empty list is no data. A response status other than 2xx is an error carrying
// the start of the body.
type WebProvider struct {
	clients *httpClients
}

// NewWebProvider returns a web provider that reads Secrets through secrets.
func NewWebProvider(secrets SecretReader) *WebProvider {
	return &WebProvider{clients: newHTTPClients(secrets)}
}

// Query calls the metric's URL.
func (p *WebProvider) Query(ctx context.Context, req Request) (Value, error) {
	spec := req.Metric.Provider.Web
	if spec == nil {
		return Value{}, Permanent(errors.New("the metric has no web provider"))
	}
	var jp *jsonpath.JSONPath
	if spec.JSONPath != "" {
		jp = jsonpath.New(req.Metric.Name)
		if err := jp.Parse(relaxedJSONPath(spec.JSONPath)); err != nil {
			return Value{}, Permanent(fmt.Errorf("jsonPath %q: %w", spec.JSONPath, err))
		}
	}
	method := spec.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if spec.Body != "" {
		body = strings.NewReader(spec.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, spec.URL, body)
	if err != nil {
		return Value{}, Permanent(fmt.Errorf("build request: %w", err))
	}
	for _, h := range spec.Headers {
		hreq.Header.Add(h.Key, h.Value)
	}
	if spec.Body != "" && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	rt, err := p.clients.roundTripper(ctx, req.Namespace, spec.Auth, spec.TLS)
	if err != nil {
		return Value{}, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(hreq)
	if err != nil {
		return Value{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebBody))
	if err != nil {
		return Value{}, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Value{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return Value{}, fmt.Errorf("the response is not JSON: %w: %s", err, snippet(raw))
	}
	if jp == nil {
		return jsonValue([]any{data}, "")
	}
	found, err := jp.FindResults(data)
	if err != nil {
		return Value{}, fmt.Errorf("jsonPath %q: %w", spec.JSONPath, err)
	}
	var matches []any
	for _, group := range found {
		for _, rv := range group {
			matches = append(matches, interfaceOf(rv))
		}
	}
	return jsonValue(matches, spec.JSONPath)
}

// relaxedJSONPath adds the braces of a template when they are missing, like kubectl does.
func relaxedJSONPath(p string) string {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "{") {
		return p
	}
	if !strings.HasPrefix(p, "$") && !strings.HasPrefix(p, ".") {
		p = "." + p
	}
	return "{" + p + "}"
}

func interfaceOf(rv reflect.Value) any {
	for rv.Kind() == reflect.Interface || rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil
	}
	return rv.Interface()
}

// jsonValue converts what a jsonPath selected into a value.
func jsonValue(matches []any, path string) (Value, error) {
	where := "the response"
	if path != "" {
		where = fmt.Sprintf("jsonPath %q", path)
	}
	if len(matches) == 0 {
		return Value{Reason: where + " matched nothing"}, nil
	}
	items, single := matches, false
	if len(matches) == 1 {
		switch x := matches[0].(type) {
		case nil:
			return Value{Reason: where + " is null"}, nil
		case []any:
			items = x
			if len(items) == 0 {
				return Value{Reason: where + " is an empty list"}, nil
			}
		default:
			single = true
		}
	}
	v := Value{Single: single, Samples: make([]Sample, 0, len(items))}
	for _, it := range items {
		s, err := jsonScalar(it)
		if err != nil {
			return Value{}, fmt.Errorf("%s: %w", where, err)
		}
		v.Samples = append(v.Samples, Sample{Value: s})
	}
	return v, nil
}

func jsonScalar(x any) (any, error) {
	switch t := x.(type) {
	case float64:
		return t, nil
	case bool:
		return t, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return nil, fmt.Errorf("the value %q is not a number", t)
		}
		return f, nil
	case nil:
		return nil, errors.New("a value is null")
	case map[string]any:
		return nil, errors.New("the value is an object, not a number, bool or list")
	case []any:
		return nil, errors.New("the value is a nested list")
	}
	return nil, fmt.Errorf("the value %v is not a number, bool or list", x)
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
