package h5io

import (
	"fmt"
	"sort"
)

// Node describes one group or dataset of a file, for `eelsh5 info`.
type Node struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"` // "group" or "dataset"
	NXClass string `json:"nx_class,omitempty"`
	Shape   []int  `json:"shape,omitempty"`
	DType   string `json:"dtype,omitempty"`
	Chunk   []int  `json:"chunk,omitempty"`
	Filters string `json:"filters,omitempty"`
	// VirtualMappings and VirtualFiles describe an HDF5 virtual dataset
	// (the merge of a partitioned run): its number of mappings and the
	// distinct files its data live in, as stored (relative paths are
	// relative to the file's directory).
	VirtualMappings int            `json:"virtual_mappings,omitempty"`
	VirtualFiles    []string       `json:"virtual_files,omitempty"`
	Attrs           map[string]any `json:"attrs,omitempty"`
	// Value holds the content of small datasets: strings, and numeric
	// datasets of at most 16 elements; for longer 1-D numeric datasets
	// (axes) First and Last give the end values.
	Value any      `json:"value,omitempty"`
	First *float64 `json:"first,omitempty"`
	Last  *float64 `json:"last,omitempty"`
}

// Walk lists every group and dataset of the file in depth-first,
// name-sorted order, with shapes, types, chunking, filters and attributes.
func (f *File) Walk() ([]Node, error) {
	var out []Node
	var walk func(path string) error
	walk = func(path string) error {
		n := Node{Path: path, Kind: "group"}
		var kids []child
		err := withObject(f.id(), path, func(o hid) error {
			n.Attrs = readAllAttrs(o)
			if c, ok := n.Attrs[AttrNXClass].(string); ok {
				n.NXClass = c
				delete(n.Attrs, AttrNXClass)
			}
			var err error
			kids, err = children(o)
			return err
		})
		if err != nil {
			return fmt.Errorf("h5io: could not list %q in %q: %w", path, f.path, err)
		}
		out = append(out, n)
		// Datasets first, then subgroups, each sorted by name, so that a
		// group's datasets directly follow it.
		sort.Slice(kids, func(i, j int) bool {
			if kids[i].isGroup != kids[j].isGroup {
				return !kids[i].isGroup
			}
			return kids[i].name < kids[j].name
		})
		for _, c := range kids {
			p := path + "/" + c.name
			if path == "/" {
				p = "/" + c.name
			}
			switch {
			case c.isGroup:
				if err := walk(p); err != nil {
					return err
				}
			case c.isData:
				out = append(out, f.describeDataset(p))
			}
		}
		return nil
	}
	if err := walk("/"); err != nil {
		return nil, err
	}
	return out, nil
}

func (f *File) describeDataset(path string) Node {
	n := Node{Path: path, Kind: "dataset"}
	in, err := getInfo(f.id(), path, false)
	if err != nil {
		n.DType = "unreadable"
		return n
	}
	n.Shape = in.dims
	n.DType = typeName(in)
	withObject(f.id(), path, func(o hid) error {
		n.Attrs = readAllAttrs(o)
		n.Chunk, n.Filters = layoutInfo(o, len(in.dims))
		lib.Lock()
		n.VirtualMappings, n.VirtualFiles = virtualSources(o)
		lib.Unlock()
		return nil
	})
	switch {
	case in.class == classString && in.n <= 64:
		if s, err := readStrings(f.id(), path, false); err == nil {
			if len(in.dims) == 0 && len(s) == 1 {
				n.Value = s[0]
			} else {
				n.Value = s
			}
		}
	case (in.class == classFloat || in.class == classInteger) && in.n <= 16:
		if v, err := readFloats(f.id(), path, false); err == nil {
			if len(in.dims) == 0 && len(v) == 1 {
				n.Value = v[0]
			} else {
				n.Value = v
			}
		}
	}
	if (in.class == classFloat || in.class == classInteger) && len(in.dims) == 1 && in.n > 0 && in.n <= 1<<20 {
		if v, err := readFloats(f.id(), path, false); err == nil && len(v) > 0 {
			n.First, n.Last = &v[0], &v[len(v)-1]
		}
	}
	return n
}

func typeName(in objInfo) string {
	switch in.class {
	case classFloat:
		return fmt.Sprintf("float%d", 8*in.size)
	case classInteger:
		if in.signed {
			return fmt.Sprintf("int%d", 8*in.size)
		}
		return fmt.Sprintf("uint%d", 8*in.size)
	case classString:
		if in.vlenStr {
			return "string"
		}
		return fmt.Sprintf("string[%d]", in.size)
	case classEnum:
		return "enum"
	}
	return fmt.Sprintf("class%d", in.class)
}

// readAllAttrs reads every attribute of an object: strings as string (or
// []string), numbers as float64 (or []float64), enums as int8.
func readAllAttrs(o hid) map[string]any {
	names, err := attrNames(o)
	if err != nil || len(names) == 0 {
		return nil
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		in, err := getInfo(o, name, true)
		if err != nil {
			continue
		}
		scalar := len(in.dims) == 0
		switch in.class {
		case classString:
			if s, err := readStrings(o, name, true); err == nil {
				if scalar && len(s) == 1 {
					out[name] = s[0]
				} else {
					out[name] = s
				}
			}
		case classFloat, classInteger:
			if v, err := readFloats(o, name, true); err == nil {
				if scalar && len(v) == 1 {
					out[name] = v[0]
				} else {
					out[name] = v
				}
			}
		case classEnum:
			if v, err := readInt8s(o, name, true); err == nil && len(v) == 1 {
				out[name] = v[0]
			}
		}
	}
	return out
}
