package lint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	yamlv3 "go.yaml.in/yaml/v3"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// document is one YAML document of a file.
type document struct {
	file string
	// root is the document's top node (a mapping for a Kubernetes object).
	root *yamlv3.Node
	// obj is the document as JSON-compatible values (int64, float64, string, bool, maps,
	// slices), as the API server sees it.
	obj map[string]any
}

// splitDocuments parses every document of a multi-document YAML (or JSON) file. A syntax
// error ends the file: the documents before it are returned with the error.
func splitDocuments(file string, data []byte) ([]*document, *Problem) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var docs []*document
	for {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, syntaxProblem(file, data, err)
		}
		if n.Kind != yamlv3.DocumentNode || len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yamlv3.ScalarNode && root.Tag == "!!null" {
			continue // an empty document, such as a trailing "---"
		}
		if root.Kind != yamlv3.MappingNode {
			docs = append(docs, &document{file: file, root: root})
			continue
		}
		obj, err := toJSONObject(root)
		if err != nil {
			return docs, &Problem{File: file, Line: root.Line, Message: "invalid YAML: " + err.Error()}
		}
		docs = append(docs, &document{file: file, root: root, obj: obj})
	}
}

// toJSONObject converts a YAML mapping to the JSON-compatible values the API server works on.
func toJSONObject(n *yamlv3.Node) (map[string]any, error) {
	y, err := yamlv3.Marshal(n)
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSONStrict(y)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(j, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// syntaxProblem reports a YAML syntax error. The v3 parser often names the line where the
// enclosing block starts; the v2 parser names the line of the fault, so its error is used
// when it finds one.
func syntaxProblem(file string, data []byte, err error) *Problem {
	dec := yamlv2.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		e := dec.Decode(&v)
		if e == nil {
			continue
		}
		if !errors.Is(e, io.EOF) {
			err = e
		}
		break
	}
	return &Problem{File: file, Line: yamlErrorLine(err), Message: "invalid YAML: " + trimYAMLError(err)}
}

// yamlErrorLine finds the line number in a YAML error such as "yaml: line 7: ...".
func yamlErrorLine(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	rest := msg[i+len("line "):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(rest[:j])
	return n
}

func trimYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
		msg = msg[i+2:]
	}
	return msg
}

// line returns the line of the field at path (as written by field.Path, e.g.
// "spec.strategy.canary.steps[1].pause.duration" or "metadata.labels[app]") in the
// document. When the field is absent it returns the line of its closest present parent,
// and for an empty path the line of the object's `kind:`.
func (d *document) line(path string) int {
	best := d.kindLine()
	if d.root == nil {
		return best
	}
	n := d.root
	for _, seg := range splitPath(path) {
		next, keyLine := child(n, seg)
		if next == nil {
			break
		}
		best = keyLine
		n = next
	}
	return best
}

// kindLine is the line of the `kind:` key, or of the document's start.
func (d *document) kindLine() int {
	if d.root == nil {
		return 0
	}
	if _, l := child(d.root, "kind"); l > 0 {
		return l
	}
	return d.root.Line
}

// child finds a mapping key or sequence index ("[3]") under n; it returns the value node
// and the line where it is written (the key's line for a mapping entry).
func child(n *yamlv3.Node, seg string) (*yamlv3.Node, int) {
	switch n.Kind {
	case yamlv3.MappingNode:
		key := strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yamlv3.SequenceNode:
		if !strings.HasPrefix(seg, "[") {
			return nil, 0
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(seg[1:], "]"))
		if err != nil || idx < 0 || idx >= len(n.Content) {
			return nil, 0
		}
		return n.Content[idx], n.Content[idx].Line
	}
	return nil, 0
}

// splitPath splits "a.b[2].c[key.with.dots]" into "a", "b", "[2]", "c", "[key.with.dots]".
func splitPath(path string) []string {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(path[i:], ']')
			if j < 0 {
				segs = append(segs, path[i:]+"]")
				return segs
			}
			segs = append(segs, path[i:i+j+1])
			i += j
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return segs
}

// String of a document for messages: "Rollout shop/web".
func (d *document) String() string {
	kind, _ := d.obj["kind"].(string)
	meta, _ := d.obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %s", kind, name)
}
