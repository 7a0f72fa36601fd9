package analysis

import (
	"fmt"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// comparison is a condition of the form `result OP number`, `result[i] OP number` or the
// same with the number on the left.
type comparison struct {
	op        string // normalised so that result is on the left: _<_, _<=_, _>_, _>=_, _==_, _!=_
	threshold float64
	index     int // -1: result itself
}

var flipped = map[string]string{
	"_<_": "_>_", "_<=_": "_>=_", "_>_": "_<_", "_>=_": "_<=_", "_==_": "_==_", "_!=_": "_!=_",
}

// parseComparison recognises a simple comparison.
func (c *Conditions) parseComparison(expr string) (comparison, bool) {
	parsed, iss := c.envs[shapeDouble].Parse(expr)
	if iss.Err() != nil {
		return comparison{}, false
	}
	root := parsed.NativeRep().Expr()
	if root.Kind() != ast.CallKind {
		return comparison{}, false
	}
	call := root.AsCall()
	op := call.FunctionName()
	if _, ok := flipped[op]; !ok || len(call.Args()) != 2 {
		return comparison{}, false
	}
	l, r := call.Args()[0], call.Args()[1]
	if idx, ok := resultOperand(l); ok {
		if n, ok := number(r); ok {
			return comparison{op: op, threshold: n, index: idx}, true
		}
	}
	if idx, ok := resultOperand(r); ok {
		if n, ok := number(l); ok {
			return comparison{op: flipped[op], threshold: n, index: idx}, true
		}
	}
	return comparison{}, false
}

// resultOperand recognises `result` (-1) and `result[i]` (i).
func resultOperand(e ast.Expr) (int, bool) {
	if e.Kind() == ast.IdentKind && e.AsIdent() == "result" {
		return -1, true
	}
	if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_[_]" && len(e.AsCall().Args()) == 2 {
		base, idx := e.AsCall().Args()[0], e.AsCall().Args()[1]
		if base.Kind() == ast.IdentKind && base.AsIdent() == "result" && idx.Kind() == ast.LiteralKind {
			if i, ok := idx.AsLiteral().(types.Int); ok && i >= 0 {
				return int(i), true
			}
		}
	}
	return 0, false
}

func number(e ast.Expr) (float64, bool) {
	if e.Kind() != ast.LiteralKind {
		return 0, false
	}
	switch n := e.AsLiteral().(type) {
	case types.Int:
		return float64(n), true
	case types.Uint:
		return float64(n), true
	case types.Double:
		return float64(n), true
	}
	return 0, false
}

// operand is the number a comparison looked at.
func (cmp comparison) operand(v Value) (float64, bool) {
	i := cmp.index
	if i < 0 {
		if len(v.Samples) != 1 {
			return 0, false
		}
		i = 0
	}
	if i >= len(v.Samples) {
		return 0, false
	}
	f, ok := v.Samples[i].Value.(float64)
	return f, ok
}

// Words for a comparison that did not hold (a false success condition) and for one that
// held (a true failure condition), in the form "<value> <words> <threshold>".
var (
	wordsNotHeld = map[string]string{
		"_>=_": "below", "_>_": "at or below", "_<=_": "above", "_<_": "at or above",
		"_==_": "not equal to", "_!=_": "equal to",
	}
	wordsHeld = map[string]string{
		"_<_": "below", "_<=_": "at or below", "_>_": "above", "_>=_": "at or above",
		"_==_": "equal to", "_!=_": "not equal to",
	}
)

// describe explains in words why a measurement failed: the success condition was false
// (held=false) or the failure condition was true (held=true). For a simple comparison it
// says "0.91 below 0.99"; otherwise `0.91: success condition "..." is false`.
func (c *Conditions) describe(expr string, held bool, v Value) string {
	if cmp, ok := c.parseComparison(expr); ok {
		if x, ok := cmp.operand(v); ok {
			words := wordsNotHeld[cmp.op]
			if held {
				words = wordsHeld[cmp.op]
			}
			return fmt.Sprintf("%s %s %s", shortFloat(x), words, shortFloat(cmp.threshold))
		}
	}
	if held {
		return fmt.Sprintf("%s: failure condition %q is true", v, expr)
	}
	return fmt.Sprintf("%s: success condition %q is false", v, expr)
}
