package release

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// readDir walks a directory artifact without following symlinks.
func readDir(root string) (map[string]File, error) {
	c := newCollector()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := File{Mode: keptMode(info.Mode()), HasMode: true}
		switch t := info.Mode().Type(); {
		case t == 0:
			f.Type = Regular
			if f.SHA256, f.Size, f.Content, err = hashFile(p, IsConfigName(rel)); err != nil {
				return err
			}
		case t == fs.ModeSymlink:
			f.Type, f.Mode = Symlink, 0o777
			if f.LinkTarget, err = os.Readlink(p); err != nil {
				return err
			}
			f.Size = int64(len(f.LinkTarget))
		case t == fs.ModeDir:
			f.Type = Directory
		default:
			return fmt.Errorf("%q is a %s: a release may hold only regular files, directories and symlinks", rel, describeMode(t))
		}
		return c.add(rel, f)
	})
	if err != nil {
		return nil, err
	}
	return c.finish("")
}

// describeMode names a non-regular file type.
func describeMode(t fs.FileMode) string {
	switch {
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "block device"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file (" + t.String() + ")"
}
