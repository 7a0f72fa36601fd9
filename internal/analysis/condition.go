package analysis

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// Conditions compiles and evaluates the successCondition and failureCondition of metrics.
//
// A condition is a CEL expression that returns a bool. It sees two variables:
//
//   - result: a double for a single number (a Prometheus scalar, a JSON number), a bool for a
//     JSON bool, or a list for a Prometheus instant vector or a JSON list: list(double) when
//     every element is a number, list(dyn) otherwise. A list of exactly one number may be
//     used both as that number and as a list, so "result >= 0.99" and "result[0] >= 0.99"
//     both work for a query such as sum(rate(...)) / sum(rate(...)), which returns a vector of
//     one series. With several series, write result[0], result.all(x, x >= 0.99) or
//     result.exists(x, x < 0.95).
//   - series: a list with one map per value, {"value": <double or bool>, "labels":
//     map(string, string)}, for conditions on labels, e.g.
//     series.all(s, s.labels.pod == "web-1" || s.value < 0.5). A single value is one entry
//     with empty labels. Vectors are ordered by their labels, so result[0] is stable.
//
// Numbers mix freely: "result == 0", "result >= 1" and "result * 100 > 99" work on a double
// result (an integer literal compares with, and computes as, a double). Comparisons with NaN
// are false, so a NaN never passes a condition.
//
// Compiled programs are cached by expression and result shape; Conditions is safe for
// concurrent use.
type Conditions struct {
	envs map[shape]*cel.Env

	mu       sync.RWMutex
	programs map[programKey]*compiled
}

// maxCachedPrograms bounds the cache; it is emptied when full.
const maxCachedPrograms = 4096

// costLimit bounds the work of one evaluation.
const costLimit = 1_000_000

// shape is the CEL type of `result`.
type shape int

const (
	shapeDouble shape = iota
	shapeBool
	shapeDoubleList
	shapeDynList
)

var shapeTypes = map[shape]*cel.Type{
	shapeDouble:     cel.DoubleType,
	shapeBool:       cel.BoolType,
	shapeDoubleList: cel.ListType(cel.DoubleType),
	shapeDynList:    cel.ListType(cel.DynType),
}

type programKey struct {
	expr  string
	shape shape
}

type compiled struct {
	prg cel.Program
	err error
}

// NewConditions returns an empty condition cache.
func NewConditions() *Conditions {
	c := &Conditions{envs: map[shape]*cel.Env{}, programs: map[programKey]*compiled{}}
	for s, t := range shapeTypes {
		env, err := cel.NewEnv(
			cel.Variable("result", t),
			cel.Variable("series", cel.ListType(cel.MapType(cel.StringType, cel.DynType))),
			cel.CrossTypeNumericComparisons(true),
		)
		if err != nil {
			// The declarations are constant; an error here is a programming error.
			panic(fmt.Sprintf("create CEL environment: %v", err))
		}
		c.envs[s] = env
	}
	return c
}

// ConditionError is a condition that cannot be compiled or that does not return a bool.
// Evaluating it again gives the same error.
type ConditionError struct {
	// Msg explains the error and quotes the compiler's message.
	Msg string
}

func (e *ConditionError) Error() string { return e.Msg }

// Eval evaluates expr against v. A *ConditionError means the expression is wrong for this kind
// of result (does not compile, or does not return a bool); other errors come from evaluation,
// such as an index out of range.
func (c *Conditions) Eval(expr string, v Value) (bool, error) {
	prg, s, err := c.program(expr, v)
	if err != nil {
		return false, err
	}
	act := newActivation(v, s)
	out, _, err := prg.Eval(act)
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", expr, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, &ConditionError{Msg: fmt.Sprintf("%q returns %s, not a bool", expr, out.Type().(ref.Type).TypeName())}
	}
	return bool(b), nil
}

// program returns the cached program for expr and the shape of v it was compiled for.
func (c *Conditions) program(expr string, v Value) (cel.Program, shape, error) {
	shapes := shapesOf(v)
	var err error
	for _, s := range shapes {
		p := c.compile(expr, s)
		if p.err == nil {
			return p.prg, s, nil
		}
		// The error reported is that of the last shape tried: the result's own.
		err = p.err
	}
	if !v.Single && len(v.Samples) > 1 {
		return nil, 0, &ConditionError{Msg: fmt.Sprintf("%s (result is a list of %d values: use result[0], result.all(x, ...) or result.exists(x, ...))", err, len(v.Samples))}
	}
	return nil, 0, err
}

// shapesOf lists the CEL types `result` may take for v, the preferred first.
func shapesOf(v Value) []shape {
	if v.Single && len(v.Samples) == 1 {
		if _, ok := v.Samples[0].Value.(bool); ok {
			return []shape{shapeBool}
		}
		return []shape{shapeDouble}
	}
	if _, ok := v.numbers(); ok {
		if len(v.Samples) == 1 {
			return []shape{shapeDouble, shapeDoubleList}
		}
		return []shape{shapeDoubleList}
	}
	return []shape{shapeDynList}
}

func (c *Conditions) compile(expr string, s shape) *compiled {
	key := programKey{expr: expr, shape: s}
	c.mu.RLock()
	p, ok := c.programs[key]
	c.mu.RUnlock()
	if ok {
		return p
	}
	p = c.build(expr, s)
	c.mu.Lock()
	if len(c.programs) >= maxCachedPrograms {
		c.programs = map[programKey]*compiled{}
	}
	c.programs[key] = p
	c.mu.Unlock()
	return p
}

func (c *Conditions) build(expr string, s shape) *compiled {
	env := c.envs[s]
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		// Retry with integer literals read as doubles, so that "result == 0" works on a
		// double. Report the original error when that does not help either.
		parsed, piss := env.Parse(expr)
		if piss.Err() != nil {
			return &compiled{err: &ConditionError{Msg: fmt.Sprintf("%q does not compile: %s", expr, compilerMessage(piss.Err()))}}
		}
		if !intsToDoubles(parsed.NativeRep().Expr()) {
			return &compiled{err: &ConditionError{Msg: fmt.Sprintf("%q does not compile: %s", expr, compilerMessage(iss.Err()))}}
		}
		var iss2 *cel.Issues
		checked, iss2 = env.Check(parsed)
		if iss2.Err() != nil {
			return &compiled{err: &ConditionError{Msg: fmt.Sprintf("%q does not compile: %s", expr, compilerMessage(iss.Err()))}}
		}
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return &compiled{err: &ConditionError{Msg: fmt.Sprintf("%q returns %s, not a bool", expr, t)}}
	}
	prg, err := env.Program(checked, cel.CostLimit(costLimit))
	if err != nil {
		return &compiled{err: &ConditionError{Msg: fmt.Sprintf("%q does not compile: %v", expr, err)}}
	}
	return &compiled{prg: prg}
}

// compilerMessage keeps the compiler's error lines and drops the drawing of the source.
func compilerMessage(err error) string {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(l, "ERROR:") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.Join(lines, "; ")
}

// intsToDoubles rewrites integer literals into doubles, except list indexes. It reports
// whether it changed anything.
func intsToDoubles(root ast.Expr) bool {
	indexes := map[int64]bool{}
	ast.PreOrderVisit(root, ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_[_]" && len(e.AsCall().Args()) == 2 {
			indexes[e.AsCall().Args()[1].ID()] = true
		}
	}))
	fac := ast.NewExprFactory()
	changed := false
	ast.PreOrderVisit(root, ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.LiteralKind || indexes[e.ID()] {
			return
		}
		switch n := e.AsLiteral().(type) {
		case types.Int:
			e.SetKindCase(fac.NewLiteral(e.ID(), types.Double(float64(n))))
			changed = true
		case types.Uint:
			e.SetKindCase(fac.NewLiteral(e.ID(), types.Double(float64(n))))
			changed = true
		}
	}))
	return changed
}

// activation resolves `result` and `series`, building `series` only when an expression
// uses it.
type activation struct {
	v      *Value
	result any
}

var _ interpreter.Activation = (*activation)(nil)

func newActivation(v Value, s shape) *activation {
	a := &activation{v: &v}
	switch s {
	case shapeDouble:
		a.result = v.Samples[0].Value
	case shapeBool:
		a.result = v.Samples[0].Value
	case shapeDoubleList:
		a.result, _ = v.numbers()
	default:
		l := make([]any, len(v.Samples))
		for i, s := range v.Samples {
			l[i] = s.Value
		}
		a.result = l
	}
	return a
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "result":
		return a.result, true
	case "series":
		l := make([]any, len(a.v.Samples))
		for i, s := range a.v.Samples {
			labels := s.Labels
			if labels == nil {
				labels = map[string]string{}
			}
			l[i] = map[string]any{"value": s.Value, "labels": labels}
		}
		return l, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }
