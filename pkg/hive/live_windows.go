//go:build windows

package hive

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows/registry"
)

// Registry views for OpenLive.
const (
	ViewDefault = 0
	View64      = registry.WOW64_64KEY
	View32      = registry.WOW64_32KEY
)

const liveAccess = registry.QUERY_VALUE | registry.ENUMERATE_SUB_KEYS

type liveKey struct {
	k    registry.Key
	view uint32
	name string
	path string
}

// OpenLive opens a key of the running system's registry read-only. root is
// registry.LOCAL_MACHINE, registry.USERS…; view is ViewDefault, View64 or
// View32 (the WOW6432Node view); label is the path shown as evidence source.
func OpenLive(root registry.Key, path string, view uint32, label string) (Key, error) {
	k, err := registry.OpenKey(root, path, liveAccess|view)
	if err != nil {
		if errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) {
			return nil, fmt.Errorf("%s: %w", label, ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	name := path
	if i := strings.LastIndexByte(path, '\\'); i >= 0 {
		name = path[i+1:]
	}
	return &liveKey{k: k, view: view, name: name, path: label}, nil
}

func (k *liveKey) Name() string { return k.name }
func (k *liveKey) Path() string { return k.path }
func (k *liveKey) Close() error { return k.k.Close() }

func (k *liveKey) Subkey(path string) (Key, error) {
	path = strings.Trim(path, `\`)
	nk, err := OpenLive(k.k, path, k.view, k.path+`\`+path)
	return nk, err
}

func (k *liveKey) SubkeyNames() ([]string, error) { return k.k.ReadSubKeyNames(-1) }
func (k *liveKey) ValueNames() ([]string, error)  { return k.k.ReadValueNames(-1) }

func (k *liveKey) String(name string) (string, bool) {
	s, typ, err := k.k.GetStringValue(name)
	if err == nil {
		return s, true
	}
	if typ == registry.MULTI_SZ {
		if ss, _, err := k.k.GetStringsValue(name); err == nil {
			if len(ss) > 0 {
				return ss[0], true
			}
			return "", true
		}
	}
	return "", false
}

func (k *liveKey) Integer(name string) (uint64, bool) {
	v, _, err := k.k.GetIntegerValue(name)
	return v, err == nil
}

func (k *liveKey) Binary(name string) ([]byte, bool) {
	n, _, err := k.k.GetValue(name, nil)
	if err != nil || n > maxValueSize {
		return nil, false
	}
	buf := make([]byte, n)
	n, _, err = k.k.GetValue(name, buf)
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}

func (k *liveKey) Modified() time.Time {
	st, err := k.k.Stat()
	if err != nil {
		return time.Time{}
	}
	return st.ModTime().UTC()
}
