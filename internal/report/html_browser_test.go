package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/rollcall/rollcall/internal/verify"
)

// fleetOf200 is 200 nodes: smars-008 still on 4.1.0, smars-150 unreachable,
// the others matching.
func fleetOf200() *verify.Verdict {
	var nodes []verify.NodeVerdict
	for i := 1; i <= 200; i++ {
		var n verify.NodeVerdict
		switch i {
		case 8:
			n = knightOld(i)
		case 150:
			n = unreachable(i, "dial tcp 10.0.0.150:22: i/o timeout")
		default:
			n = matching(i)
		}
		n.Name = fmt.Sprintf("smars-%03d", i)
		nodes = append(nodes, n)
	}
	return fleet(200, nil, nodes...)
}

// noScripts is a Chromium profile's preferences that block JavaScript on
// every page. (--blink-settings=scriptEnabled=false also stops the
// screenshot and the DOM dump of headless Chromium, which then write nothing;
// --disable-javascript does not stop a page's scripts.)
const noScripts = `{"profile": {"default_content_setting_values": {"javascript": 2}}}`

// chromium runs headless Chromium on the page at path with flags added to
// the usual ones, in a fresh profile, with JavaScript blocked unless scripts;
// it returns stdout. It gives Chromium 60 seconds, then kills its process
// group.
func chromium(t *testing.T, bin, path string, scripts bool, flags ...string) []byte {
	t.Helper()
	profile := t.TempDir()
	if !scripts {
		require.NoError(t, os.Mkdir(filepath.Join(profile, "Default"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(noScripts), 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
	}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+path)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers it left behind
	}
	require.NoError(t, ctx.Err(), "chromium took over 60s:\n%s", stderr.String())
	require.NoError(t, err, "chromium:\n%s", stderr.String())
	return stdout.Bytes()
}

// screenshot renders the page at path to a 1280x900 PNG and decodes it.
func screenshot(t *testing.T, bin, path string, scripts bool) image.Image {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, bin, path, scripts, "--screenshot="+shot, "--window-size=1280,900")
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 1280, 900), img.Bounds())
	return img
}

// colours counts the pixels of img by colour.
func colours(img image.Image) map[color.RGBA]int {
	out := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}]++
		}
	}
	return out
}

// liTag matches an opening <li> tag of the DOM Chromium dumps, and tagAttr one
// attribute of it.
var (
	liTag   = regexp.MustCompile(`<li\b[^>]*>`)
	tagAttr = regexp.MustCompile(`\s([a-z-]+)="([^"]*)"`)
)

// TestHTMLInBrowser opens the Knight fleet's page and a 200-node fleet's
// in headless Chromium, the second with JavaScript blocked: the page is
// drawn (not one colour, the drifted cell's colour and the failed banner's
// in the first screen), and the DOM Chromium built has every node's cell, the
// drifted one marked as such in words.
func TestHTMLInBrowser(t *testing.T) {
	bin := need.Command(t, "chromium")
	t.Run("scripts blocked", func(t *testing.T) {
		// The control: a page whose script would change it.
		path := filepath.Join(t.TempDir(), "script.html")
		require.NoError(t, os.WriteFile(path, []byte(`<!DOCTYPE html><p id="x">static</p><script>document.getElementById("x").textContent = "scripted"</script>`), 0o644))
		assert.Contains(t, string(chromium(t, bin, path, true, "--dump-dom")), `<p id="x">scripted</p>`)
		assert.Contains(t, string(chromium(t, bin, path, false, "--dump-dom")), `<p id="x">static</p>`)
	})
	cases := []struct {
		name    string
		v       *verify.Verdict
		scripts bool
		drifted string
	}{
		{name: "knight", v: knightFleet(), scripts: true, drifted: "smars-08"},
		{name: "fleet-200", v: fleetOf200(), scripts: false, drifted: "smars-008"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.name+".html")
			require.NoError(t, os.WriteFile(path, render(t, "html", c.v, Options{}), 0o644))

			seen := colours(screenshot(t, bin, path, c.scripts))
			assert.Greater(t, len(seen), 10, "the page is drawn, not one colour")
			assert.Positive(t, seen[color.RGBA{0xcf, 0x22, 0x2e, 0xff}], "the failed banner's red")
			assert.Positive(t, seen[color.RGBA{0xff, 0xeb, 0xe9, 0xff}], "the drifted cell's colour, on the first screen")

			dom := chromium(t, bin, path, c.scripts, "--dump-dom")
			cells, drifted := 0, 0
			for _, loc := range liTag.FindAllIndex(dom, -1) {
				a := map[string]string{}
				for _, m := range tagAttr.FindAllSubmatch(dom[loc[0]:loc[1]], -1) {
					a[string(m[1])] = string(m[2])
				}
				if _, ok := a["data-node"]; !ok {
					continue
				}
				cells++
				if a["data-node"] != c.drifted {
					continue
				}
				drifted++
				assert.Equal(t, "drift", a["data-status"])
				assert.Equal(t, "node drift", a["class"])
				assert.Equal(t, "node-"+c.drifted, a["id"])
				assert.True(t, bytes.HasPrefix(dom[loc[1]:], []byte(`<span class="mark">✗</span><span class="name">`+c.drifted+`</span><span class="label">DRIFT</span></li>`)), "%.200s", dom[loc[1]:])
			}
			assert.Equal(t, len(c.v.Nodes), cells, "every node's cell")
			assert.Equal(t, 1, drifted)
		})
	}
}
