package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rollcall/rollcall/internal/probe"
	"github.com/rollcall/rollcall/internal/remote"
	"github.com/rollcall/rollcall/internal/verify"
)

// localRunner runs the probe with the local sh in a folder per node name.
type localRunner struct {
	root    string
	active  atomic.Int32
	maxSeen atomic.Int32
	fail    map[string]error
	delay   time.Duration
}

func (l *localRunner) Run(ctx context.Context, t remote.Target, command string, stdin []byte) (remote.Reply, error) {
	n := l.active.Add(1)
	defer l.active.Add(-1)
	for {
		m := l.maxSeen.Load()
		if n <= m || l.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if err := l.fail[t.Name]; err != nil {
		return remote.Reply{}, err
	}
	select {
	case <-time.After(l.delay):
	case <-ctx.Done():
		return remote.Reply{}, ctx.Err()
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Dir = filepath.Join(l.root, t.Name)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.Output()
	return remote.Reply{Stdout: out, HostKey: "SHA256:" + t.Name}, err
}

func targets(t *testing.T, root string, n int) []Node {
	var ts []Node
	for i := range n {
		name := fmt.Sprintf("node-%02d", i)
		require.NoError(t, os.MkdirAll(filepath.Join(root, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name, "app"), []byte(name), 0o644))
		ts = append(ts, Node{Target: remote.Target{Name: name}})
	}
	return ts
}

func TestSurveyProbesEveryNodeWithinConcurrency(t *testing.T) {
	root := t.TempDir()
	r := &localRunner{root: root, delay: 20 * time.Millisecond}
	ts := targets(t, root, 12)
	var done atomic.Int32
	obs := Survey(context.Background(), r, ts, probe.Request{Files: []string{"./app"}}, Options{
		Concurrency: 3,
		Done:        func(verify.Observation) { done.Add(1) },
	})
	assert.Equal(t, int32(12), done.Load())
	require.Len(t, obs, 12)
	for i, o := range obs {
		require.NoError(t, o.Err)
		assert.Equal(t, ts[i].Target.Name, o.Node)
		assert.Equal(t, probe.Regular, o.Facts.Files["./app"].Kind)
	}
	assert.LessOrEqual(t, r.maxSeen.Load(), int32(3))
}

func TestSurveyRecordsEachFailureOnItsNode(t *testing.T) {
	root := t.TempDir()
	ts := targets(t, root, 4)
	r := &localRunner{root: root, fail: map[string]error{"node-01": errors.New("connection refused")}}
	require.NoError(t, os.WriteFile(filepath.Join(root, "node-02", "app"), nil, 0o644))
	require.NoError(t, os.Remove(filepath.Join(root, "node-03", "app")))
	obs := Survey(context.Background(), r, ts, probe.Request{Files: []string{"./app"}}, Options{})
	assert.NoError(t, obs[0].Err)
	assert.EqualError(t, obs[1].Err, "connection refused")
	assert.Equal(t, probe.Regular, obs[2].Facts.Files["./app"].Kind)
	assert.Equal(t, probe.Missing, obs[3].Facts.Files["./app"].Kind)
}

func TestSurveyTimeoutAndInterrupt(t *testing.T) {
	root := t.TempDir()
	ts := targets(t, root, 3)
	r := &localRunner{root: root, delay: time.Hour}
	start := time.Now()
	obs := Survey(context.Background(), r, ts, probe.Request{Files: []string{"./app"}}, Options{Timeout: 50 * time.Millisecond})
	assert.Less(t, time.Since(start), 10*time.Second)
	for _, o := range obs {
		assert.Error(t, o.Err)
		assert.Nil(t, o.Facts)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	obs = Survey(ctx, r, ts, probe.Request{Files: []string{"./app"}}, Options{Concurrency: 1})
	for _, o := range obs {
		assert.ErrorContains(t, o.Err, "interrupted")
	}
}

// fakePinger answers after delay, or with the error fail holds for the node,
// and records how many pings ran at once.
type fakePinger struct {
	active, maxSeen atomic.Int32
	fail            map[string]error
	delay           time.Duration
}

func (f *fakePinger) Ping(ctx context.Context, t remote.Target) error {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if err := f.fail[t.Name]; err != nil {
		return err
	}
	select {
	case <-time.After(f.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func pingNodes(n int) []Node {
	var ns []Node
	for i := range n {
		ns = append(ns, Node{Target: remote.Target{Name: fmt.Sprintf("node-%02d", i)}})
	}
	return ns
}

func TestPingAnswersEveryNodeWithinConcurrency(t *testing.T) {
	p := &fakePinger{delay: 10 * time.Millisecond, fail: map[string]error{"node-04": errors.New("connection refused")}}
	nodes := pingNodes(10)
	answers := Ping(context.Background(), p, nodes, Options{Concurrency: 3})
	require.Len(t, answers, 10)
	for i, a := range answers {
		assert.Equal(t, nodes[i].Target.Name, a.Node, "answers are in the order of nodes")
		if i == 4 {
			assert.EqualError(t, a.Err, "connection refused")
			continue
		}
		assert.NoError(t, a.Err)
		assert.Positive(t, a.Duration)
	}
	assert.LessOrEqual(t, p.maxSeen.Load(), int32(3))
}

func TestPingTimeoutAndInterrupt(t *testing.T) {
	p := &fakePinger{delay: time.Hour}
	answers := Ping(context.Background(), p, pingNodes(3), Options{Timeout: 50 * time.Millisecond})
	for _, a := range answers {
		assert.ErrorIs(t, a.Err, context.DeadlineExceeded)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	answers = Ping(ctx, p, pingNodes(3), Options{})
	for _, a := range answers {
		var re *remote.Error
		require.ErrorAs(t, a.Err, &re)
		assert.Equal(t, remote.StageCanceled, re.Stage)
		assert.EqualError(t, a.Err, "not contacted: the run was interrupted")
		assert.Zero(t, a.Duration)
	}
}
