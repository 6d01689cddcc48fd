package h5io

import (
	"fmt"

	"gonum.org/v1/hdf5"
)

// handle is an open gonum/hdf5 object (group or dataset) whose identifier
// the C helpers of capi.go take.
type handle struct {
	obj interface {
		Close() error
		ID() int64
	}
}

func (h handle) id() hid { return hid(h.obj.ID()) }

func (h handle) close() {
	lib.Lock()
	h.obj.Close()
	lib.Unlock()
}

// openGroup opens the group at an absolute path.
func (f *File) openGroup(path string) (handle, error) {
	if !linkExists(f.id(), path) {
		return handle{}, fmt.Errorf("h5io: %q has no group %q", f.path, path)
	}
	lib.Lock()
	g, err := f.f.OpenGroup(path)
	lib.Unlock()
	if err != nil {
		return handle{}, fmt.Errorf("h5io: could not open group %q in %q: %w", path, f.path, err)
	}
	return handle{g}, nil
}

// createGroup creates the group at an absolute path (its parent must exist).
func (f *File) createGroup(path string) (handle, error) {
	lib.Lock()
	g, err := f.f.CreateGroup(path)
	lib.Unlock()
	if err != nil {
		return handle{}, fmt.Errorf("h5io: could not create group %q in %q: %w", path, f.path, err)
	}
	return handle{g}, nil
}

// openDataset opens the dataset at an absolute path.
func (f *File) openDataset(path string) (handle, *hdf5.Dataset, error) {
	if !linkExists(f.id(), path) {
		return handle{}, nil, fmt.Errorf("h5io: %q has no dataset %q", f.path, path)
	}
	lib.Lock()
	d, err := f.f.OpenDataset(path)
	lib.Unlock()
	if err != nil {
		return handle{}, nil, fmt.Errorf("h5io: could not open dataset %q in %q (is it a group?)", path, f.path)
	}
	return handle{d}, d, nil
}

func flushFile(id hid) error {
	lib.Lock()
	defer lib.Unlock()
	return h5flush(id)
}
