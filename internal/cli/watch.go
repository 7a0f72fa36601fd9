package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// screen shows successive renderings of a state. On a terminal it redraws in place, and
// only when the text changed, so nothing flickers. In a pipe it prints a new block, after a
// blank line, only when the state changed.
type screen struct {
	out io.Writer
	tty bool

	drawn   bool
	lastKey string
	// lines drawn last time, to clear what the new text no longer covers.
	lines int
}

// show draws text if key differs from the key of the last drawing. Callers pass the text as
// key on a terminal (a countdown redraws), and a countdown-free rendering in a pipe (only
// real changes print).
func (s *screen) show(text, key string) {
	if s.drawn && key == s.lastKey {
		return
	}
	text = strings.TrimRight(text, "\n")
	switch {
	case s.tty:
		// Home, overwrite each line and clear its rest, then clear below: no blank frame.
		var b strings.Builder
		b.WriteString("\x1b[H")
		for _, l := range strings.Split(text, "\n") {
			b.WriteString(l + "\x1b[K\n")
		}
		b.WriteString("\x1b[J")
		if !s.drawn {
			// The first frame starts on a clean screen.
			fmt.Fprint(s.out, "\x1b[2J")
		}
		fmt.Fprint(s.out, b.String())
	default:
		if s.drawn {
			fmt.Fprintln(s.out)
		}
		fmt.Fprintln(s.out, text)
	}
	s.drawn = true
	s.lastKey = key
}

// pollEvery calls fn at once and then every interval until fn reports done, returns an
// error, or ctx ends (then it returns ctx.Err()).
func pollEvery(ctx context.Context, interval time.Duration, fn func(context.Context) (bool, error)) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// The tick and the end of ctx can come together: never call fn with an ended ctx.
		if err := ended(ctx); err != nil {
			return err
		}
		done, err := fn(ctx)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// ended returns ctx's error, or context.DeadlineExceeded once its deadline has passed: a
// request made then fails (the client's rate limiter refuses to wait past the deadline)
// a moment before ctx.Err says so.
func ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// errorReporter prints transient errors of a watch once each, on stderr.
type errorReporter struct {
	out  io.Writer
	last string
}

func (r *errorReporter) report(err error) {
	if err == nil {
		r.last = ""
		return
	}
	if msg := err.Error(); msg != r.last {
		fmt.Fprintf(r.out, "warning: %s (retrying)\n", msg)
		r.last = msg
	}
}
