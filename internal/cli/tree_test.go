package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stride-dev/stride/api/v1alpha1"
)

func TestTreeGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		view *rolloutView
	}{
		{"tree-canary-mid-pause", viewMidPause()},
		{"tree-canary-aborted", viewAborted()},
		{"tree-bluegreen-waiting", viewBlueGreen()},
		{"tree-healthy", viewHealthy()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, renderTree(tc.view, now, treeOptions{countdown: true}))
		})
	}
}

// TestTreeGoldenTerminal is the mid-pause tree as a terminal without colors shows it:
// status symbols instead of plain bullets.
func TestTreeGoldenTerminal(t *testing.T) {
	golden(t, "tree-canary-mid-pause-symbols", renderTree(viewMidPause(), now, treeOptions{style: style{unicode: true}, countdown: true}))
}

func TestTreePlainOutputIsASCII(t *testing.T) {
	for _, v := range []*rolloutView{viewMidPause(), viewAborted(), viewBlueGreen(), viewHealthy()} {
		out := renderTree(v, now, treeOptions{countdown: true})
		for i, r := range out {
			if r > 127 || (r == 0x1b) {
				t.Fatalf("rollout %s: non-ASCII or escape character %q at %d in plain output:\n%s", v.Rollout.Name, r, i, out)
			}
		}
	}
}

func TestTreeColorsOnlyWhenAsked(t *testing.T) {
	plain := renderTree(viewAborted(), now, treeOptions{style: style{unicode: true}, countdown: true})
	colored := renderTree(viewAborted(), now, treeOptions{style: style{unicode: true, color: true}, countdown: true})
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("colors in output without color")
	}
	if !strings.Contains(colored, colorRed+"Degraded"+colorReset) {
		t.Errorf("want the Degraded phase in red, got:\n%q", colored)
	}
	// Colors do not move columns: without escapes the text is the same.
	if stripANSI(colored) != plain {
		t.Errorf("colored output differs from plain output beyond colors:\n%s\n---\n%s", stripANSI(colored), plain)
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestPauseCountdownFollowsTheClock(t *testing.T) {
	v := viewMidPause()
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{0, "pause 30s, 18s left"},
		{17500 * time.Millisecond, "pause 30s, 1s left"},
		{18 * time.Second, "pause 30s, ending"},
	} {
		out := renderTree(v, now.Add(tc.at), treeOptions{countdown: true})
		if !strings.Contains(out, tc.want) {
			t.Errorf("at +%s want %q in:\n%s", tc.at, tc.want, out)
		}
	}
	// Without countdown the text does not depend on the clock.
	a := renderTree(v, now, treeOptions{})
	b := renderTree(v, now.Add(5*time.Second), treeOptions{})
	if a != b {
		t.Errorf("tree without countdown changed with the clock:\n%s\n---\n%s", a, b)
	}
}

func TestStepDetailOfAnalysisStep(t *testing.T) {
	v := viewAborted()
	ro := v.Rollout
	// The same run, still going, and the rollout not aborted.
	ro.Status.Abort = nil
	ro.Status.Phase = v1alpha1.RolloutPhaseProgressing
	run := v.Runs["web-"+hashV2+"-step3"]
	run.Status.Phase = v1alpha1.AnalysisPhaseRunning
	run.Status.MetricResults[0].Count = 2
	got := canaryStepDetail(v, now, treeOptions{countdown: true})
	if want := "analysis success-rate 2/5 measurements"; got != want {
		t.Errorf("step detail = %q, want %q", got, want)
	}
	ro.Status.PauseReason = v1alpha1.PauseReasonInconclusive
	if got := canaryStepDetail(v, now, treeOptions{}); !strings.Contains(got, "inconclusive: promote to go on or abort") {
		t.Errorf("inconclusive step detail = %q", got)
	}
}

func TestStatusLineHasNoCountdown(t *testing.T) {
	ro := canaryMidPause()
	want := `rollout "web": Paused, step 2/5, canary 25%: canary at 25%, paused for 30s until 12:00:18 UTC`
	if got := statusLine(ro); got != want {
		t.Errorf("statusLine = %q, want %q", got, want)
	}
	ro.Generation = 4
	if got := statusLine(ro); !strings.Contains(got, "generation 4 not yet observed") {
		t.Errorf("statusLine of an unobserved generation = %q", got)
	}
}

func TestListGolden(t *testing.T) {
	items := []v1alpha1.Rollout{*rollingRollout(), *canaryMidPause(), *blueGreenWaiting(), *canaryAborted()}
	items[3].Name = "checkout"
	sortRollouts(items)
	var b bytes.Buffer
	if err := renderList(&b, items, true, now); err != nil {
		t.Fatal(err)
	}
	golden(t, "list-all-namespaces", b.String())
	b.Reset()
	if err := renderList(&b, items[:3], false, now); err != nil {
		t.Fatal(err)
	}
	golden(t, "list", b.String())
}

func TestScreenInPipePrintsOnlyChanges(t *testing.T) {
	var b bytes.Buffer
	s := &screen{out: &b}
	s.show("one\n", "k1")
	s.show("one, a second later\n", "k1") // same state: nothing printed
	s.show("two\n", "k2")
	s.show("two\n", "k2")
	if want := "one\n\ntwo\n"; b.String() != want {
		t.Errorf("pipe output = %q, want %q", b.String(), want)
	}
}

func TestScreenOnTerminalRedrawsInPlaceOnlyOnChange(t *testing.T) {
	var b bytes.Buffer
	s := &screen{out: &b, tty: true}
	s.show("a\nb\n", "a\nb\n")
	first := b.String()
	if !strings.HasPrefix(first, "\x1b[2J\x1b[H") || !strings.Contains(first, "a\x1b[K\nb\x1b[K\n\x1b[J") {
		t.Errorf("first frame = %q", first)
	}
	s.show("a\nb\n", "a\nb\n")
	if b.String() != first {
		t.Errorf("an unchanged frame was redrawn: %q", b.String()[len(first):])
	}
	s.show("c\n", "c\n")
	if got := b.String()[len(first):]; got != "\x1b[Hc\x1b[K\n\x1b[J" {
		t.Errorf("second frame = %q: want home, the line, clear below, and no full clear", got)
	}
}

func TestRevisionReadiness(t *testing.T) {
	v := viewHealthy()
	old := &v.Revisions[1]
	old.Status.Replicas, old.Status.ReadyReplicas = 1, 1 // spec.replicas is 0: scaling down
	out := renderTree(v, now, treeOptions{})
	if !strings.Contains(out, "web-7c6d5b4a3 (rev 1, old)      scaling down (1 ready)   nginx:1.27") {
		t.Errorf("want the old revision scaling down:\n%s", out)
	}
	fresh := canaryRollout()
	fresh.Status = v1alpha1.RolloutStatus{}
	if got := stepText(fresh); got != "" {
		t.Errorf("step of a Rollout the operator has not seen = %q, want none", got)
	}
}
