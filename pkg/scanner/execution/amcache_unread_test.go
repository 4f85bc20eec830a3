package execution

import (
	"errors"
	"io/fs"
	"testing"
)

// TestAmcacheUnread: a locked Amcache.hve on a live Windows is a note (it
// always is locked there); on an image an unreadable one is an unread
// source (verdict rule 10); a missing one is neither.
func TestAmcacheUnread(t *testing.T) {
	locked := &fs.PathError{Op: "open", Path: `C:\Windows\AppCompat\Programs\Amcache.hve`, Err: errors.New("The process cannot access the file because it is being used by another process.")}
	var live collector
	live.amcacheUnread(true, locked)
	if live.unread != 0 || len(live.errs) != 0 || len(live.notes) != 1 {
		t.Errorf("live: unread %d errs %q notes %q", live.unread, live.errs, live.notes)
	}
	var img collector
	img.amcacheUnread(false, locked)
	if img.unread != 1 || len(img.errs) != 1 || len(img.notes) != 0 {
		t.Errorf("image: unread %d errs %q notes %q", img.unread, img.errs, img.notes)
	}
	var none collector
	none.amcacheUnread(false, &fs.PathError{Op: "open", Path: "/Windows/AppCompat/Programs/Amcache.hve", Err: fs.ErrNotExist})
	if none.unread != 0 || len(none.errs)+len(none.notes) != 0 {
		t.Errorf("missing: unread %d errs %q notes %q", none.unread, none.errs, none.notes)
	}
}
