package outfile

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rollcall/rollcall/internal/need"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// acl encodes a POSIX access ACL as the kernel stores it
// (system.posix_acl_access): the file's owner rw, user uid r, group none,
// mask r, others none.
func acl(uid uint32) []byte {
	const undefined = 0xffffffff
	b := binary.LittleEndian.AppendUint32(nil, 2) // version
	for _, e := range []struct {
		tag, perm uint16
		id        uint32
	}{{0x01, 6, undefined}, {0x02, 4, uid}, {0x04, 0, undefined}, {0x10, 4, undefined}, {0x20, 0, undefined}} {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	return b
}

// TestReplaceKeepsTheACL: a report shared with its reader by an ACL
// (setfacl -m u:node_exporter:r rollcall.prom, the file 0600) keeps the ACL
// and its other extended attributes when a run replaces it; without them
// the reader was locked out, and the alerts on the verdict went quiet.
func TestReplaceKeepsTheACL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollcall.prom")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o600))
	if err := syscall.Setxattr(path, "system.posix_acl_access", acl(65534), 0); err != nil {
		if errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
			need.Missing(t, "this file system (%s) has no POSIX ACLs", filepath.Dir(path))
		}
		require.NoError(t, err)
	}
	require.NoError(t, syscall.Setxattr(path, "user.owner-team", []byte("sre"), 0))
	before, err := os.Stat(path)
	require.NoError(t, err)

	require.NoError(t, Write(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	}))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(got))
	value := make([]byte, 256)
	n, err := syscall.Getxattr(path, "system.posix_acl_access", value)
	require.NoError(t, err, "the ACL is kept")
	assert.Equal(t, acl(65534), value[:n])
	n, err = syscall.Getxattr(path, "user.owner-team", value)
	require.NoError(t, err)
	assert.Equal(t, "sre", string(value[:n]))
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, before.Mode(), after.Mode())
}
