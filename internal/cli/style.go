package cli

import (
	"strings"
	"unicode/utf8"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// style says how to decorate output: symbols on a terminal, ANSI colors when allowed. The
// zero value is plain ASCII, as in a pipe.
type style struct {
	unicode bool
	color   bool
}

// ANSI colors. All codes have the same length, so colored cells stay aligned.
const (
	colorNone   = ""
	colorRed    = "\x1b[31m"
	colorGreen  = "\x1b[32m"
	colorYellow = "\x1b[33m"
	colorBlue   = "\x1b[34m"
	colorGray   = "\x1b[90m"
	colorReset  = "\x1b[0m"
)

func (s style) paint(color, text string) string {
	if !s.color || color == colorNone || text == "" {
		return text
	}
	return color + text + colorReset
}

// mark is a status symbol with its color.
type mark struct {
	symbol string
	color  string
}

var (
	markOK       = mark{"✔", colorGreen}
	markFailed   = mark{"✖", colorRed}
	markError    = mark{"⚠", colorRed}
	markRunning  = mark{"◌", colorYellow}
	markPaused   = mark{"‖", colorYellow}
	markPending  = mark{"○", colorGray}
	markUnknown  = mark{"?", colorYellow}
	markReady    = mark{"●", colorGreen}
	markNotReady = mark{"◌", colorYellow}
	markDown     = mark{"○", colorGray}
	markAborted  = mark{"✖", colorRed}
)

// symbol renders m, or "" in plain output.
func (s style) symbol(m mark) string {
	if !s.unicode {
		return ""
	}
	return s.paint(m.color, m.symbol)
}

// bullet is the symbol of m followed by a space, or "- " in plain output.
func (s style) bullet(m mark) string {
	if !s.unicode {
		return "- "
	}
	return s.symbol(m) + " "
}

// plainBullet is bullet without colors, for measuring widths.
func (s style) plainBullet(m mark) string {
	return style{unicode: s.unicode}.bullet(m)
}

func phaseMark(p v1alpha1.RolloutPhase) mark {
	switch p {
	case v1alpha1.RolloutPhaseHealthy:
		return markOK
	case v1alpha1.RolloutPhaseProgressing:
		return markRunning
	case v1alpha1.RolloutPhasePaused:
		return markPaused
	case v1alpha1.RolloutPhaseDegraded:
		return markFailed
	}
	return markUnknown
}

func analysisMark(p v1alpha1.AnalysisPhase) mark {
	switch p {
	case v1alpha1.AnalysisPhaseSuccessful:
		return markOK
	case v1alpha1.AnalysisPhaseFailed:
		return markFailed
	case v1alpha1.AnalysisPhaseError:
		return markError
	case v1alpha1.AnalysisPhaseInconclusive:
		return markUnknown
	case v1alpha1.AnalysisPhaseRunning:
		return markRunning
	}
	return markPending
}

// cell is one cell of an aligned block: plain text and an optional color (the color does
// not count for width).
type cell struct {
	text  string
	color string
	// raw, when set, is printed instead of text (already decorated); text gives the width.
	raw string
}

// alignRows pads the cells of each column to the column's width and joins them with gap
// spaces. The last cell of a row is not padded.
func (s style) alignRows(rows [][]cell, indent string, gap int) []string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				continue
			}
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			text := c.raw
			if text == "" {
				text = s.paint(c.color, c.text)
			}
			b.WriteString(text)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+gap))
			}
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}
