package cli

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// pastDeadline is a context whose deadline has passed while its Err is still nil: the
// moment between the deadline and the timer that closes Done.
type pastDeadline struct{ context.Context }

func (pastDeadline) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// TestPollEveryStopsAtTheEndOfItsContext: fn is never called once ctx has ended or its
// deadline has passed.
func TestPollEveryStopsAtTheEndOfItsContext(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"canceled", canceled, context.Canceled},
		{"deadline passed", pastDeadline{context.Background()}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := pollEvery(tc.ctx, time.Millisecond, func(context.Context) (bool, error) {
				calls++
				return false, nil
			})
			if !errors.Is(err, tc.want) || calls != 0 {
				t.Errorf("err %v, fn called %d times; want %v and no call", err, calls, tc.want)
			}
		})
	}
}

// TestHandleWatchErrAfterTheDeadline: an error from a request made as the deadline passed
// ends the watch with the deadline, without a warning; before it, the error is a warning.
func TestHandleWatchErrAfterTheDeadline(t *testing.T) {
	reqErr := errors.New("client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline")
	var warnings bytes.Buffer
	errs := &errorReporter{out: &warnings}
	done, err := handleWatchErr(pastDeadline{context.Background()}, reqErr, errs)
	if done || !errors.Is(err, context.DeadlineExceeded) || warnings.Len() > 0 {
		t.Errorf("after the deadline: done %v err %v warnings %q; want the deadline and no warning", done, err, warnings.String())
	}
	done, err = handleWatchErr(context.Background(), reqErr, errs)
	if done || err != nil || !bytes.Contains(warnings.Bytes(), []byte("warning: client rate limiter")) {
		t.Errorf("before the deadline: done %v err %v warnings %q; want a warning and the watch going on", done, err, warnings.String())
	}
}
