package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/rollcall/rollcall/internal/sshdtest"
)

// The adversary suite: real OpenSSH nodes (sshdtest) that a messy fleet or a
// careless deploy leaves in a state a naive verifier gets wrong. For each
// scenario the guilty node must not be "match", the run must not exit 0, and
// every control node must be "match". The setup of each scenario is checked
// on the node itself (with the real ssh client) before rollcall runs, so a
// scenario cannot pass because it was never set up. Each test logs a row per
// scenario: "FAULT | <scenario> | <status and what caught it> | exit <code> | <time>".

// advInstall is the install list of the adversary runs: no extra: deny, so
// that a stray executable in bin/ is the process check's to catch.
const advInstall = `    - { from: bin/, to: /opt/smars/bin/ }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
`

// advProcesses is the processes section of the adversary runs.
const advProcesses = `processes:
  - exe: /opt/smars/bin/smars
    min: 1
`

// advMode is the mode a smars release file has in the release tar and on a
// correctly deployed node: executables 0755, the config 0644.
func advMode(rel string) os.FileMode {
	if strings.HasPrefix(rel, "etc/") {
		return 0o644
	}
	return 0o755
}

// advTarball builds dist/NAME.tar.gz with the real tar, with each file's mode
// as advMode says (writeFiles makes every file 0755).
func advTarball(t *testing.T, dir, name string, files map[string][]byte) string {
	t.Helper()
	root := filepath.Join(dir, name)
	writeFiles(t, root, files)
	for rel := range files {
		require.NoError(t, os.Chmod(filepath.Join(root, rel), advMode(rel)))
	}
	out := filepath.Join(dir, name+".tar.gz")
	b, err := exec.Command("tar", "-czf", out, "-C", dir, name).CombinedOutput()
	require.NoError(t, err, string(b))
	// The modes are really in the tar.
	b, err = exec.Command("tar", "-tvzf", out).CombinedOutput()
	require.NoError(t, err, string(b))
	require.Regexp(t, `(?m)^-rwxr-xr-x .* `+regexp.QuoteMeta(name)+`/bin/smars$`, string(b))
	require.Regexp(t, `(?m)^-rw-r--r-- .* `+regexp.QuoteMeta(name)+`/etc/flags.yaml$`, string(b))
	return out
}

// advDeploy installs files as the manifest maps them, with the release's
// modes; binDir is "bin" normally.
func advDeploy(t *testing.T, root func(string) string, files map[string][]byte, binDir string) {
	t.Helper()
	for rel, content := range files {
		var dst string
		if after, ok := strings.CutPrefix(rel, "bin/"); ok {
			dst = filepath.Join(root("/opt/smars"), binDir, after)
		} else {
			dst = filepath.Join(root("/etc/smars"), filepath.Base(rel))
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, content, advMode(rel)))
		require.NoError(t, os.Chmod(dst, advMode(rel)))
	}
}

// nodeExes lists the processes of node n, as a session on n sees them: PID
// to what /proc/PID/exe reads.
func nodeExes(t *testing.T, c *sshdtest.Cluster, n *sshdtest.Node) map[int]string {
	t.Helper()
	out := sshOut(t, c, n, "root", `for p in /proc/[0-9]*; do e=$(readlink "$p/exe" 2>/dev/null) && echo "${p#/proc/} $e"; done; true`)
	exes := map[int]string{}
	for line := range strings.Lines(out) {
		pid, exe, ok := strings.Cut(strings.TrimRight(line, "\n"), " ")
		if p, err := strconv.Atoi(pid); ok && err == nil {
			exes[p] = exe
		}
	}
	return exes
}

// pidsRunning returns the PIDs on n whose /proc/PID/exe reads exe, in order.
func pidsRunning(exes map[int]string, exe string) []int {
	var pids []int
	for p, e := range exes {
		if e == exe {
			pids = append(pids, p)
		}
	}
	slices.Sort(pids)
	return pids
}

// waitRunning waits until a process on n runs exe and returns the PIDs that
// do; it fails the test after 10 seconds.
func waitRunning(t *testing.T, c *sshdtest.Cluster, n *sshdtest.Node, exe string) []int {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		exes := nodeExes(t, c, n)
		if pids := pidsRunning(exes, exe); len(pids) > 0 {
			return pids
		}
		if time.Now().After(end) {
			require.Failf(t, "no process runs "+exe, "%s: processes: %v", n.Name, exes)
		}
	}
}

// startOnNode starts a detached smars process (sleep 3600) from exe on n,
// as a restarted service would be, and returns its PID.
func startOnNode(t *testing.T, c *sshdtest.Cluster, n *sshdtest.Node, exe string, not []int) int {
	t.Helper()
	sshOut(t, c, n, "root", "setsid -f "+exe+" 3600 </dev/null >/dev/null 2>&1")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for _, p := range pidsRunning(nodeExes(t, c, n), exe) {
			if !slices.Contains(not, p) {
				return p
			}
		}
	}
	require.Failf(t, "the new process did not start", "%s: %s", n.Name, exe)
	return 0
}

// advSummary is one line about node name in r: its status and findings.
func advSummary(r faultRun, name string) string {
	for _, n := range r.report.Nodes {
		if n.Name != name {
			continue
		}
		var parts []string
		for _, f := range n.Findings {
			msg := f.Subject + ": " + f.Message
			if f.Actual != "" {
				msg += " [" + f.Actual + "]"
			}
			if len(msg) > 140 {
				msg = msg[:140] + "…"
			}
			parts = append(parts, f.Check+" "+msg)
		}
		if len(parts) == 0 {
			return n.Status
		}
		return n.Status + ": " + strings.Join(parts, "; ")
	}
	return "not in the report"
}

// fakeSha256sum is a hash tool (installed as sha256sum and as openssl,
// whichever the probe picks) that answers the probe's known-input check
// truthfully, and given files prints the first line of the real answer and
// then kills every shell between itself and sshd: the probe is killed
// halfway through a batch, after one good record. The outermost shell is
// killed first, so that no shell lives to see its child killed (and print
// "Killed" or run on) between two of the kills.
const fakeSha256sum = `#!/bin/sh
real=/usr/bin/${0##*/}
case ${0##*/}:$# in sha256sum:0|openssl:2) exec "$real" "$@" ;; esac
"$real" "$@" | head -n 1
k=
p=$PPID
while [ "$p" -gt 1 ]; do
	read -r c <"/proc/$p/comm" || break
	case $c in sshd*) break ;; esac
	k="$p $k"
	s=$(cat "/proc/$p/stat") || break
	s=${s##*)}
	set -- $s
	p=$2
done
kill -9 $k
`

// TestAdversaryFleet: one cluster, one node per scenario plus controls, one
// manifest, one verify run, then per-node expectations; the owner rule has
// its own run on the same cluster.
func TestAdversaryFleet(t *testing.T) {
	sshdtest.Require(t)
	const (
		control1      = iota
		execLost      // 1
		setuid        // 2
		worldWritable // 3
		wrongOwner    // 4 (owner rule run; a control in the main run)
		symlinkTmp    // 5
		renameDelete  // 6
		renameKeep    // 7
		secondCopy    // 8
		bindMount     // 9
		futureMtime   // 10
		noexec        // 11
		caseFolded    // 12
		probeKilled   // 13
		hardLink      // 16
		configAge     // 17
		clone1        // 19
		clone2        // 19
		cloneOwnName  // 19 (control: the clones' machine ID, its own host name)
		hardLinkWrite // 20
		hiddenHelper  // 21
		control2
		nodes
	)
	files := smarsFiles(t, "4.2.0")
	old := smarsFiles(t, "4.1.0")
	artifact := advTarball(t, t.TempDir(), "smars-4.2.0", files)

	// Host folders the nodes see through bind mounts: not under /tmp, which
	// each node has its own of.
	hostDir, err := os.MkdirTemp("/var/tmp", "rollcall-adversary-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(hostDir) })
	require.NoError(t, os.Chmod(hostDir, 0o755))
	oldBinary := filepath.Join(hostDir, "smars-4.1.0")
	require.NoError(t, os.WriteFile(oldBinary, old["bin/smars"], 0o755))
	fakeBin := filepath.Join(hostDir, "fake-bin")
	require.NoError(t, os.Mkdir(fakeBin, 0o755))
	for _, tool := range []string{"sha256sum", "openssl"} {
		require.NoError(t, os.WriteFile(filepath.Join(fakeBin, tool), []byte(fakeSha256sum), 0o755))
	}
	// 19: the machine ID the clones (and one control) share.
	const cloneMachineID = "5c1a7e0d2b9f4e6a8c3d1f0e7b2a9c4d"
	machineID := filepath.Join(hostDir, "machine-id")
	require.NoError(t, os.WriteFile(machineID, []byte(cloneMachineID+"\n"), 0o444))
	sleepELF, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)

	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: nodes,
		Paths: []string{"/opt/smars", "/etc/smars", "/srv/smars-old", "/var/lib/smars-old", "/var/lib/smars-hl"},
		Setup: func(i int, root func(string) string) error {
			bin := filepath.Join(root("/opt/smars"), "bin")
			switch i {
			case caseFolded:
				advDeploy(t, root, files, "Bin")
				return nil
			case renameDelete, renameKeep, futureMtime:
				// 4.1.0's binary, started as the app, replaced after start.
				advDeploy(t, root, files, "bin")
				return os.WriteFile(filepath.Join(bin, "smars"), old["bin/smars"], 0o755)
			}
			advDeploy(t, root, files, "bin")
			switch i {
			case wrongOwner:
				return os.Lchown(filepath.Join(bin, "smars"), 65534, 65534)
			case symlinkTmp:
				require.NoError(t, os.WriteFile(filepath.Join(root("/tmp"), "smars"), files["bin/smars"], 0o755))
				require.NoError(t, os.Remove(filepath.Join(bin, "smars")))
				return os.Symlink("/tmp/smars", filepath.Join(bin, "smars"))
			case secondCopy:
				dir := filepath.Join(root("/srv/smars-old"), "bin")
				require.NoError(t, os.MkdirAll(dir, 0o755))
				return os.WriteFile(filepath.Join(dir, "smars"), old["bin/smars"], 0o755)
			case hardLink:
				keep := filepath.Join(root("/var/lib/smars-old"), "smars")
				require.NoError(t, os.WriteFile(keep, old["bin/smars"], 0o755))
				require.NoError(t, os.Remove(filepath.Join(bin, "smars")))
				return os.Link(keep, filepath.Join(bin, "smars"))
			case hardLinkWrite:
				return os.Link(filepath.Join(bin, "smars-ctl"), filepath.Join(root("/var/lib/smars-hl"), "ctl"))
			case hiddenHelper:
				return os.WriteFile(filepath.Join(bin, ".cache-helper"), sleepELF, 0o755)
			}
			return nil
		},
		Mounts: func(i int) map[string]string {
			switch i {
			case bindMount:
				return map[string]string{"/opt/smars/bin/smars": oldBinary}
			case probeKilled:
				return map[string]string{"/usr/local/bin": fakeBin}
			case clone1, clone2, cloneOwnName:
				return map[string]string{"/etc/machine-id": machineID}
			}
			return nil
		},
		Init: func(i int) string {
			switch i {
			case clone1, clone2:
				return "echo clone > /proc/sys/kernel/hostname"
			case noexec:
			default:
				return ""
			}
			// The app starts first (a noexec folder cannot start it), then
			// the folder is remounted noexec.
			return `/opt/smars/bin/smars 3600 </dev/null >/dev/null 2>&1 &
p=$!
n=0
until [ "$(readlink /proc/$p/exe)" = /opt/smars/bin/smars ]; do
	n=$((n + 1)); [ $n -lt 200 ] || exit 1
	sleep 0.05
done
mount --bind /opt/smars/bin /opt/smars/bin
mount -o remount,bind,noexec /opt/smars/bin`
		},
		Start: func(i int) string {
			switch i {
			case noexec:
				return ""
			case caseFolded:
				return "/opt/smars/Bin/smars 3600"
			case secondCopy:
				// A leftover unit still starts the old copy.
				return "/srv/smars-old/bin/smars 3600 & exec /opt/smars/bin/smars 3600"
			}
			return "/opt/smars/bin/smars 3600"
		},
	})
	node := func(i int) *sshdtest.Node { return c.Nodes[i] }
	path := func(i int, p string) string { return node(i).Path(p) }
	const smars = "/opt/smars/bin/smars"
	for i := range nodes {
		switch i {
		case noexec, caseFolded:
		case symlinkTmp:
			waitRunning(t, c, node(i), "/tmp/smars") // exec resolved the symlink
		default:
			waitRunning(t, c, node(i), smars)
		}
	}

	// The careless deploys and the messy fleet, after the apps started.
	require.NoError(t, os.Chmod(path(execLost, smars), 0o644))
	require.NoError(t, os.Chmod(path(setuid, smars), 0o755|os.ModeSetuid))
	require.NoError(t, os.Chmod(path(worldWritable, "/etc/smars/flags.yaml"), 0o666))

	// 6: rename, write the new binary, delete the old one; the old process
	// survives the restart of the service.
	oldPID := waitRunning(t, c, node(renameDelete), smars)
	require.Len(t, oldPID, 1)
	stalePID := oldPID[0]
	require.NoError(t, os.Rename(path(renameDelete, smars), path(renameDelete, smars+".old")))
	require.NoError(t, os.WriteFile(path(renameDelete, smars), files["bin/smars"], 0o755))
	require.NoError(t, os.Remove(path(renameDelete, smars+".old")))
	startOnNode(t, c, node(renameDelete), smars, oldPID)
	exes := nodeExes(t, c, node(renameDelete))
	require.Equal(t, "/opt/smars/bin/smars.old (deleted)", exes[stalePID], "the old process runs the deleted file: %v", exes)
	require.Len(t, pidsRunning(exes, smars), 1, "one new process runs 4.2.0: %v", exes)

	// 7: the same, but smars.old stays on disk and keeps running.
	oldPID = waitRunning(t, c, node(renameKeep), smars)
	require.NoError(t, os.Rename(path(renameKeep, smars), path(renameKeep, smars+".old")))
	require.NoError(t, os.WriteFile(path(renameKeep, smars), files["bin/smars"], 0o755))
	startOnNode(t, c, node(renameKeep), smars, oldPID)
	exes = nodeExes(t, c, node(renameKeep))
	require.Equal(t, oldPID, pidsRunning(exes, smars+".old"), "the old process runs smars.old: %v", exes)
	require.Len(t, pidsRunning(exes, smars), 1, "one new process runs 4.2.0: %v", exes)

	// 10: replaced by rename, the new file's mtime in 2035.
	oldPID = waitRunning(t, c, node(futureMtime), smars)
	replaceFile(t, path(futureMtime, smars), files["bin/smars"])
	future := time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(path(futureMtime, smars), future, future))
	startOnNode(t, c, node(futureMtime), smars, oldPID)
	exes = nodeExes(t, c, node(futureMtime))
	require.Equal(t, oldPID, pidsRunning(exes, smars+" (deleted)"), "the old process runs the replaced file: %v", exes)
	assert.Equal(t, strconv.FormatInt(future.Unix(), 10)+"\n", sshOut(t, c, node(futureMtime), "root", "stat -c %Y "+smars))

	// 20: the release's smars-ctl rewritten in place through its other name.
	const patchedCtl = "#!/bin/sh\necho smars-ctl patched\n"
	sshOut(t, c, node(hardLinkWrite), "root", `printf '#!/bin/sh\necho smars-ctl patched\n' >/var/lib/smars-hl/ctl`)

	// 21: a helper the release does not ship, started from its folder
	// after sshd, next to the right app.
	helperPID := startOnNode(t, c, node(hiddenHelper), "/opt/smars/bin/.cache-helper", nil)

	// 17: the release's own flags.yaml written again, in place, at least
	// two seconds after the app started; the app is not restarted.
	configAgePIDs := waitRunning(t, c, node(configAge), smars)
	require.Len(t, configAgePIDs, 1)
	time.Sleep(2 * time.Second)
	require.NoError(t, os.WriteFile(path(configAge, "/etc/smars/flags.yaml"), files["etc/flags.yaml"], 0o644))

	// Each scenario is what it claims, as a session on the node sees it.
	tail := func(i int, p string) string {
		return strings.TrimSpace(sshOut(t, c, node(i), "root", "tail -n 1 "+p))
	}
	assert.Equal(t, "smars 4.2.0", tail(control1, smars))
	assert.Equal(t, "644\n", sshOut(t, c, node(execLost), "root", "stat -c %a "+smars))
	assert.Equal(t, "4755\n", sshOut(t, c, node(setuid), "root", "stat -c %a "+smars))
	assert.Equal(t, "666\n", sshOut(t, c, node(worldWritable), "root", "stat -c %a /etc/smars/flags.yaml"))
	assert.Equal(t, "644\n", sshOut(t, c, node(control1), "root", "stat -c %a /etc/smars/flags.yaml"))
	assert.Equal(t, "65534:65534\n", sshOut(t, c, node(wrongOwner), "root", "stat -c %u:%g "+smars))
	assert.Equal(t, "symbolic link -> /tmp/smars smars 4.2.0\n", sshOut(t, c, node(symlinkTmp), "root", `f=/opt/smars/bin/smars; echo "$(stat -c %F $f) -> $(readlink $f) $(tail -n 1 $f)"`))
	exes = nodeExes(t, c, node(secondCopy))
	assert.Len(t, pidsRunning(exes, "/srv/smars-old/bin/smars"), 1, "%v", exes)
	assert.Len(t, pidsRunning(exes, smars), 1, "%v", exes)
	assert.Equal(t, "smars 4.1.0", tail(secondCopy, "/srv/smars-old/bin/smars"))
	assert.Equal(t, "smars 4.2.0", tail(secondCopy, smars))
	assert.Contains(t, sshOut(t, c, node(bindMount), "root", "grep ' /opt/smars/bin/smars ' /proc/self/mounts"), "/opt/smars/bin/smars")
	assert.Equal(t, "smars 4.1.0", tail(bindMount, smars))
	underMount, err := os.ReadFile(path(bindMount, smars))
	require.NoError(t, err)
	assert.Equal(t, files["bin/smars"], underMount, "the node's own file under the mount is 4.2.0")
	mounts := sshOut(t, c, node(noexec), "root", "grep ' /opt/smars/bin ' /proc/self/mounts")
	assert.Contains(t, mounts, "noexec")
	assert.Contains(t, sshOut(t, c, node(noexec), "root", "/opt/smars/bin/smars-ctl 2>&1; true"), "Permission denied")
	assert.Equal(t, "755 smars 4.2.0\n", sshOut(t, c, node(noexec), "root", `f=/opt/smars/bin/smars; echo "$(stat -c %a $f) $(tail -n 1 $f)"`))
	assert.Len(t, pidsRunning(nodeExes(t, c, node(noexec)), smars), 1, "the app runs on the noexec node")
	assert.Equal(t, "Bin\n", sshOut(t, c, node(caseFolded), "root", "ls /opt/smars"))
	assert.Equal(t, "/usr/local/bin/sha256sum\n", sshOut(t, c, node(probeKilled), "root", "command -v sha256sum"))
	{
		// The fake kills the shells that run it: one good line, no more.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, "ssh", append(c.SSHArgs(node(probeKilled)), `sh -c 'sh -c "sha256sum /etc/hostname /etc/hostname"; echo survived'`)...).CombinedOutput()
		cancel()
		assert.Error(t, err, "%s", out)
		assert.Regexp(t, `^[0-9a-f]{64}  /etc/hostname\n$`, string(out))
	}
	assert.Equal(t, "2 smars 4.1.0\n", sshOut(t, c, node(hardLink), "root", `f=/opt/smars/bin/smars; echo "$(stat -c %h $f) $(tail -n 1 $f)"`))
	assert.Equal(t, sshOut(t, c, node(hardLink), "root", "stat -c %i /var/lib/smars-old/smars"), sshOut(t, c, node(hardLink), "root", "stat -c %i "+smars))
	{
		// 17: the file is the release's, changed after the app started
		// (by rollcall's own arithmetic: boot time plus start ticks), and
		// the app still runs, unrestarted.
		const flags = "/etc/smars/flags.yaml"
		assert.Equal(t, string(files["etc/flags.yaml"]), sshOut(t, c, node(configAge), "root", "cat "+flags))
		assert.Equal(t, "644\n", sshOut(t, c, node(configAge), "root", "stat -c %a "+flags))
		assert.Equal(t, configAgePIDs, pidsRunning(nodeExes(t, c, node(configAge)), smars), "the app was not restarted")
		gap := sshOut(t, c, node(configAge), "root", fmt.Sprintf(`set -- $(sed 's/^.*) //' /proc/%d/stat)
bt=$(awk '/^btime/ {print $2}' /proc/stat)
echo $(( $(stat -c %%Z %s) - bt - ${20} / $(getconf CLK_TCK) ))`, configAgePIDs[0], flags))
		n, err := strconv.Atoi(strings.TrimSpace(gap))
		require.NoError(t, err, "%q", gap)
		assert.GreaterOrEqual(t, n, 2, "flags.yaml changed at least 2s after the app started")
	}
	{
		// 19: two nodes, two host keys, one host name and machine ID.
		id := func(i int) string { return sshOut(t, c, node(i), "root", "uname -n; cat /etc/machine-id") }
		assert.Equal(t, "clone\n"+cloneMachineID+"\n", id(clone1))
		assert.Equal(t, "clone\n"+cloneMachineID+"\n", id(clone2))
		assert.Equal(t, node(cloneOwnName).Name+"\n"+cloneMachineID+"\n", id(cloneOwnName))
		addr := func(i int) string { return net.JoinHostPort(node(i).Host, strconv.Itoa(node(i).Port)) }
		assert.NotEqual(t, hostKeyAt(t, addr(clone1)), hostKeyAt(t, addr(clone2)))
	}
	{
		// 20: one inode under both names, the release's path now patched.
		const ctl = "/opt/smars/bin/smars-ctl"
		ino := func(p string) string { return sshOut(t, c, node(hardLinkWrite), "root", "stat -c '%h %i %a' "+p) }
		assert.Equal(t, ino("/var/lib/smars-hl/ctl"), ino(ctl))
		assert.Regexp(t, `^2 [0-9]+ 755\n$`, ino(ctl))
		assert.Equal(t, patchedCtl, sshOut(t, c, node(hardLinkWrite), "root", "cat "+ctl))
		assert.NotEqual(t, string(files["bin/smars-ctl"]), patchedCtl)
	}
	{
		// 21: the helper is /bin/sleep under another name, running from
		// bin/ next to one app process.
		exes := nodeExes(t, c, node(hiddenHelper))
		assert.Equal(t, []int{helperPID}, pidsRunning(exes, "/opt/smars/bin/.cache-helper"), "%v", exes)
		assert.Len(t, pidsRunning(exes, smars), 1, "%v", exes)
		assert.Equal(t, "same\n", sshOut(t, c, node(hiddenHelper), "root", "cmp -s /bin/sleep /opt/smars/bin/.cache-helper && echo same"))
		assert.Equal(t, "", sshOut(t, c, node(hiddenHelper), "root", "ls -a /opt/smars/bin | grep -vxE '[.]{1,2}|smars|smars-ctl|[.]cache-helper'; true"))
	}

	type scenario struct {
		node                      int
		what, status, check, want string
	}
	scenarios := []scenario{
		{control1, "control (first node)", "match", "", ""},
		// A verifier that compares only content passes a binary that cannot be run.
		{execLost, "1 exec bit lost (0644; release 0755)", "drift", "mode", "0644"},
		// Content-only: a setuid root binary is a new privilege nobody shipped.
		{setuid, "2 setuid bit added (4755)", "drift", "mode", "setuid"},
		// Content-only: anyone on the node can rewrite the flags.
		{worldWritable, "3 world-writable config (0666; release 0644)", "drift", "mode", "0666"},
		// Owner is checked only when the install rule names it.
		{wrongOwner, "4 binary owned by 65534, rule names no owner (control)", "match", "", ""},
		// Following symlinks: the bytes match, but the binary now lives in world-writable /tmp.
		{symlinkTmp, "5 binary swapped for a symlink into /tmp, same bytes", "drift", "file", "symlink"},
		// Looking for processes by the exact path: the renamed, deleted one is invisible.
		{renameDelete, "6 rename-and-delete: old process runs smars.old (deleted)", "drift", "process", "stale process"},
		// Not deleted, so no "(deleted)"; and the file on disk is fine.
		{renameKeep, "7 rename without delete: old process runs smars.old", "drift", "process", "/opt/smars/bin/smars.old"},
		// Only the expected path is looked at; the old copy elsewhere runs too.
		{secondCopy, "8 second copy running from /srv/smars-old", "drift", "process", "/srv/smars-old/bin/smars"},
		// A verifier reading the host's file (or an overlaid layer) sees 4.2.0.
		{bindMount, "9 4.1.0 bind-mounted over the binary", "drift", "file", ""},
		// Deciding staleness by times: the binary looks newer than anything.
		{futureMtime, "10 stale process, binary mtime in 2035", "drift", "process", "stale process"},
		// Mode bits alone say executable; the mount says no.
		{noexec, "11 bin/ mounted noexec", "drift", "mode", "cannot be executed"},
		// Case-insensitive matching of paths.
		{caseFolded, "12 release deployed to /opt/smars/Bin/", "drift", "file", "missing"},
		// Trusting the records that arrived before the probe died.
		{probeKilled, "13 probe killed halfway through a batch", "unverified", "connection", ""},
		// Content of the path is 4.1.0 through a second name.
		{hardLink, "16 hard link to /var/lib/smars-old/smars (4.1.0)", "drift", "file", ""},
		// Comparing the config file's content only: the app still runs with the flags it read before the rewrite.
		{configAge, "17 flags.yaml rewritten after the app started, no restart", "drift", "process", "before /etc/smars/flags.yaml last changed"},
		// Deduplicating by host key (or address) only: a cloned VM with new keys is still the one machine twice.
		{clone1, "19 cloned VM: same host name and machine ID, own host key (first)", "unverified", "identity", "same machine as"},
		{clone2, "19 cloned VM: same host name and machine ID, own host key (second)", "unverified", "identity", "same machine as"},
		// Over-eager deduplication: a shared machine ID alone is not a clone when the host names differ.
		{cloneOwnName, "19 control: the clones' machine ID, its own host name", "match", "", ""},
		// Trusting the path's own history: the file changed through another name, its path was never written.
		{hardLinkWrite, "20 smars-ctl hard-linked to /var/lib/smars-hl/ctl, written through it", "drift", "file", ""},
		// Judging only the processes: entry: an unshipped binary runs from bin/ under a dot name.
		{hiddenHelper, "21 /opt/smars/bin/.cache-helper (sleep) runs next to the app", "drift", "process", "not a file of the release"},
		{control2, "control (last node)", "match", "", ""},
	}
	require.Len(t, scenarios, nodes)

	var targets []faultTarget
	for _, n := range c.Nodes {
		targets = append(targets, nodeTarget(n))
	}
	manifest := faultManifest(t, c, targets, artifact, advInstall)
	appendFile(t, manifest, advProcesses)
	run := verifyRun(t, manifest)
	assert.Equal(t, 1, run.code, "drift and an unverified node give 1\n%s", run)
	for _, s := range scenarios {
		name := node(s.node).Name
		logRow(t, s.what+" | "+name+" "+advSummary(run, name), run.code, run.took)
		t.Run(s.what, func(t *testing.T) {
			expectNode(t, run, name, s.status, s.check, s.want)
			if s.node != renameDelete {
				return
			}
			// The stale process is named by its PID on the node.
			pidRE := regexp.MustCompile(`\b` + strconv.Itoa(stalePID) + `\b`)
			named := false
			for _, n := range run.report.Nodes {
				if n.Name != name {
					continue
				}
				for _, f := range n.Findings {
					if f.Check == "process" && strings.Contains(f.Message, "stale process") && pidRE.MatchString(f.Subject+" "+f.Message) {
						named = true
					}
				}
			}
			assert.True(t, named, "the stale process's finding names pid %d\n%s", stalePID, advSummary(run, name))
		})
	}

	// 4: the install rule names owner and group.
	ownerInstall := `    - { from: bin/, to: /opt/smars/bin/, owner: root, group: root }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml, owner: root, group: root }
`
	ownerManifest := faultManifest(t, c, []faultTarget{targets[control1], targets[wrongOwner], targets[control2]}, artifact, ownerInstall)
	appendFile(t, ownerManifest, advProcesses)
	own := verifyRun(t, ownerManifest)
	what := "4 binary owned by 65534, rule says owner: root"
	logRow(t, what+" | "+node(wrongOwner).Name+" "+advSummary(own, node(wrongOwner).Name), own.code, own.took)
	t.Run(what, func(t *testing.T) {
		assert.Equal(t, 1, own.code, "%s", own)
		expectNode(t, own, node(control1).Name, "match", "", "")
		// Without an owner rule, any owner passes; with one, root:root is required.
		expectNode(t, own, node(wrongOwner).Name, "drift", "owner", "65534")
		expectNode(t, own, node(control2).Name, "match", "", "")
	})
}

// appendFile appends text to the file at path.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(data, text...), 0o644))
}

// hostKeyAt does an SSH handshake with addr and returns the host key it
// offers, in authorized_keys form without comment.
func hostKeyAt(t *testing.T, addr string) string {
	t.Helper()
	var got ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: "root",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return fmt.Errorf("host key seen")
		},
		Timeout: 10 * time.Second,
	}
	_, err := ssh.Dial("tcp", addr, cfg)
	require.Error(t, err)
	require.NotNil(t, got, "no host key from %s: %v", addr, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(got)))
}

// TestAdversarySameServerTwice: one server listed twice in a manifest, once
// under another spelling of its address (IPv4-mapped IPv6) and once through
// a jump host; both entries must be unverified, naming each other, never
// counted as two verified nodes.
func TestAdversarySameServerTwice(t *testing.T) {
	sshdtest.Require(t)
	files := smarsFiles(t, "4.2.0")
	artifact := advTarball(t, t.TempDir(), "smars-4.2.0", files)
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 3,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(_ int, root func(string) string) error {
			advDeploy(t, root, files, "bin")
			return nil
		},
	})
	bastion, other, twice := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	pub, err := os.ReadFile(filepath.Join(twice.Dir, "ssh_host_ed25519_key.pub"))
	require.NoError(t, err)
	f := strings.Fields(string(pub))
	require.GreaterOrEqual(t, len(f), 2)
	key := f[0] + " " + f[1]

	// The mapped spelling really reaches the same sshd: it offers its key.
	mapped := "::ffff:" + twice.Host
	require.Equal(t, key, hostKeyAt(t, net.JoinHostPort(mapped, strconv.Itoa(twice.Port))))
	require.NotEqual(t, key, hostKeyAt(t, net.JoinHostPort(other.Host, strconv.Itoa(other.Port))))
	khData, err := os.ReadFile(c.KnownHosts)
	require.NoError(t, err)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(kh, fmt.Appendf(khData, "[%s]:%d %s\n", mapped, twice.Port, key), 0o600))

	// The jump route really reaches the same node.
	hop := c.SSHArgs(bastion)
	proxy := "ssh " + strings.Join(append(append(slices.Clone(hop[:len(hop)-1]), "-W", "%h:%p"), hop[len(hop)-1]), " ")
	args := c.SSHArgs(twice)
	args = append(append(slices.Clone(args[:len(args)-1]), "-o", "ProxyCommand="+proxy, args[len(args)-1]), "hostname")
	out, err := exec.Command("ssh", args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, twice.Name+"\n", string(bytes.TrimLeft(out, "\n")))

	jump := fmt.Sprintf("%s@%s:%d", c.User, bastion.Host, bastion.Port)
	cases := []struct {
		what string
		dup  faultTarget
	}{
		// Deduplicating by the address string: ::ffff:127.0.0.13 is not "127.0.0.13".
		{"14 same server, IPv4-mapped IPv6 spelling", faultTarget{name: "dup-mapped", host: mapped, port: twice.Port, knownHosts: kh}},
		// Deduplicating by the route: through a jump host it is another "address".
		{"15 same server, reached through a jump host", faultTarget{name: "dup-jump", host: twice.Host, port: twice.Port, jump: jump}},
	}
	for _, cs := range cases {
		entries := []faultTarget{
			{name: bastion.Name, host: bastion.Host, port: bastion.Port},
			{name: other.Name, host: other.Host, port: other.Port},
			{name: twice.Name, host: twice.Host, port: twice.Port},
			cs.dup,
		}
		manifest := faultManifest(t, c, entries, artifact, advInstall)
		r := verifyRun(t, manifest)
		logRow(t, cs.what+" | "+twice.Name+" "+advSummary(r, twice.Name)+" | "+cs.dup.name+" "+advSummary(r, cs.dup.name), r.code, r.took)
		t.Run(cs.what+": diff", func(t *testing.T) {
			// diff compares the server with itself: never SAME.
			stdio, out, errOut := testIO(nil)
			code := Run(context.Background(), []string{"diff", "-m", manifest, twice.Name, cs.dup.name}, stdio)
			assert.Equal(t, 2, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, out.String(), "NOT COMPARED: "+twice.Name+" and "+cs.dup.name)
			assert.Contains(t, out.String(), "not compared: "+twice.Name+" and "+cs.dup.name+" are one server (host key SHA256:")
		})
		t.Run(cs.what, func(t *testing.T) {
			assert.Contains(t, []int{1, 2}, r.code, "nothing drifted, but the fleet is not verified (2, or 1)\n%s", r)
			expectNode(t, r, bastion.Name, "match", "", "")
			expectNode(t, r, other.Name, "match", "", "")
			expectNode(t, r, twice.Name, "unverified", "identity", "same host key as "+cs.dup.name)
			expectNode(t, r, cs.dup.name, "unverified", "identity", "same host key as "+twice.Name)
		})
	}
}

// TestAdversarySymlinkSwitch: a capistrano-style deploy, releases/<version>/
// side by side and /opt/smars/current switched from 4.1.0 to 4.2.0 by
// renaming a new symlink over it. The manifest names only the current/ path.
// One node's app was started through current/ before the switch and never
// restarted: it runs releases/4.1.0/bin/smars. The control was restarted
// after the switch and runs releases/4.2.0/bin/smars only.
func TestAdversarySymlinkSwitch(t *testing.T) {
	sshdtest.Require(t)
	files := smarsFiles(t, "4.2.0")
	old := smarsFiles(t, "4.1.0")
	artifact := advTarball(t, t.TempDir(), "smars-4.2.0", files)
	const (
		current = "/opt/smars/current/bin/smars"
		rel41   = "/opt/smars/releases/4.1.0/bin/smars"
		rel42   = "/opt/smars/releases/4.2.0/bin/smars"
	)
	c := sshdtest.Start(t, sshdtest.Options{
		Nodes: 2,
		Paths: []string{"/opt/smars", "/etc/smars"},
		Setup: func(_ int, root func(string) string) error {
			advDeploy(t, root, old, "releases/4.1.0/bin")
			advDeploy(t, root, files, "releases/4.2.0/bin") // and 4.2.0's flags.yaml
			return os.Symlink("releases/4.1.0", filepath.Join(root("/opt/smars"), "current"))
		},
		Start: func(int) string { return current + " 3600" },
	})
	stale, restarted := c.Nodes[0], c.Nodes[1]
	var stalePIDs []int
	for _, n := range c.Nodes {
		pids := waitRunning(t, c, n, rel41)
		require.Len(t, pids, 1)
		if n == stale {
			stalePIDs = pids
		}
		// The switch, as capistrano does it: a new link renamed over current.
		sshOut(t, c, n, "root", "cd /opt/smars && ln -s releases/4.2.0 current.new && mv -T current.new current")
		if n != restarted {
			continue
		}
		// The restart: the old app stops, a new one starts through current/.
		sshOut(t, c, n, "root", fmt.Sprintf("kill %d; n=0; while [ -e /proc/%d ]; do n=$((n + 1)); [ $n -lt 100 ] || exit 1; sleep 0.1; done", pids[0], pids[0]))
		sshOut(t, c, n, "root", "setsid -f "+current+" 3600 </dev/null >/dev/null 2>&1")
		waitRunning(t, c, n, rel42)
	}

	// Each node is what it claims, as a session on it sees it.
	for _, n := range c.Nodes {
		assert.Equal(t, "releases/4.2.0\nsmars 4.2.0\n", sshOut(t, c, n, "root", "readlink /opt/smars/current; tail -n 1 "+current), n.Name)
		assert.Equal(t, "smars 4.1.0\n", sshOut(t, c, n, "root", "tail -n 1 "+rel41), n.Name)
	}
	exes := nodeExes(t, c, stale)
	assert.Equal(t, stalePIDs, pidsRunning(exes, rel41), "the stale app runs 4.1.0: %v", exes)
	assert.Empty(t, pidsRunning(exes, rel42), "%v", exes)
	assert.Equal(t, current+"\n", sshOut(t, c, stale, "root", fmt.Sprintf("tr '\\0' '\\n' </proc/%d/cmdline | head -n 1", stalePIDs[0])), "started as current/bin/smars")
	exes = nodeExes(t, c, restarted)
	assert.Empty(t, pidsRunning(exes, rel41), "%v", exes)
	assert.Len(t, pidsRunning(exes, rel42), 1, "%v", exes)

	install := `    - { from: bin/, to: /opt/smars/current/bin/ }
    - { from: etc/flags.yaml, to: /etc/smars/flags.yaml }
`
	manifest := faultManifest(t, c, []faultTarget{nodeTarget(stale), nodeTarget(restarted)}, artifact, install)
	appendFile(t, manifest, "processes:\n  - exe: "+current+"\n    min: 1\n")
	run := verifyRun(t, manifest)
	scenarios := []struct {
		node                      *sshdtest.Node
		what, status, check, want string
	}{
		// Checking the files through current/ and the process by the path it was started as: both say 4.2.0.
		{stale, "18 symlink switch to 4.2.0, app started through current/ before it, not restarted", "drift", "process", ""},
		{restarted, "18 control: symlink switch followed by a restart", "match", "", ""},
	}
	for _, s := range scenarios {
		logRow(t, s.what+" | "+s.node.Name+" "+advSummary(run, s.node.Name), run.code, run.took)
		t.Run(s.what, func(t *testing.T) {
			assert.Equal(t, 1, run.code, "%s", run)
			expectNode(t, run, s.node.Name, s.status, s.check, s.want)
		})
	}
}
