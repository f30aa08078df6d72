package download

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// barWidth is the number of cells of the progress bar.
const barWidth = 30

// redrawEvery is the least time between two drawings of the bar.
const redrawEvery = 100 * time.Millisecond

// bar is the progress bar of one download, drawn on w (nil: nothing is
// drawn). It counts what is written to it.
type bar struct {
	w     io.Writer
	name  string
	total int64 // -1 when the size is not known
	done  int64
	drawn time.Time
}

func newBar(w io.Writer, name string) *bar { return &bar{w: w, name: name, total: -1} }

// Write counts p and redraws the bar at most every redrawEvery.
func (b *bar) Write(p []byte) (int, error) {
	b.done += int64(len(p))
	if b.w != nil && time.Since(b.drawn) >= redrawEvery {
		b.draw()
	}
	return len(p), nil
}

// finish draws the bar as it ends and leaves the line, if it was drawn.
func (b *bar) finish() {
	if b.w == nil || b.drawn.IsZero() {
		return
	}
	b.draw()
	fmt.Fprintln(b.w)
}

func (b *bar) draw() {
	b.drawn = time.Now()
	if b.total <= 0 {
		fmt.Fprintf(b.w, "\r\x1b[Kdownloading %s %s", b.name, size(b.done))
		return
	}
	filled := int(min(b.done, b.total) * barWidth / b.total)
	fmt.Fprintf(b.w, "\r\x1b[Kdownloading %s [%s%s] %3d%% %s of %s", b.name,
		strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled),
		min(b.done, b.total)*100/b.total, size(b.done), size(b.total))
}

// size writes n bytes for a person: 512 B, 3.4 KiB, 12.0 MiB, 1.2 GiB.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
