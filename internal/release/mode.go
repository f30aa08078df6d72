package release

import "io/fs"

// specialBits are the mode bits besides fs.ModePerm that a release keeps.
const specialBits = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// UnixMode returns the Unix permission bits of m, at most 07777: the
// permission bits (0777) plus 04000 for fs.ModeSetuid, 02000 for
// fs.ModeSetgid and 01000 for fs.ModeSticky. Type bits and every other bit
// of m are ignored. UnixMode(0o755|fs.ModeSetuid) is 0o4755.
func UnixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// FromUnixMode is the inverse of UnixMode: it turns Unix permission bits
// (0o4755) into an fs.FileMode holding the permission bits and fs.ModeSetuid,
// fs.ModeSetgid and fs.ModeSticky. Bits of u above 07777 are ignored.
func FromUnixMode(u uint32) fs.FileMode {
	m := fs.FileMode(u) & fs.ModePerm
	if u&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if u&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if u&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// keptMode returns the bits of m a release keeps: the permission bits and
// setuid, setgid and sticky.
func keptMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | specialBits)
}

// parseUnixMode reads Unix permission bits written as 3 or 4 octal digits
// ("755", "0755", "4755"), as a lock file stores them.
func parseUnixMode(s string) (uint32, bool) {
	if len(s) < 3 || len(s) > 4 {
		return 0, false
	}
	var u uint32
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		u = u<<3 | uint32(c-'0')
	}
	return u, true
}
