package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/eelsh5/eelsh5/h5io"
)

type infoCmd struct {
	File string `arg:"" help:"HDF5 file to describe." type:"path"`
	JSON bool   `help:"Print machine-readable JSON instead of text."`
}

func (c *infoCmd) Help() string {
	return `Lists every group and dataset of an HDF5 file: NeXus classes, shapes, element types,
chunking and compression, axis ranges with units, and the provenance of each processing
step (program, version, date, command line, parameters). The file is opened read-only.`
}

func (c *infoCmd) Run(g *Globals) error {
	f, err := openHDF5(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	nodes, err := f.Walk()
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			File  string      `json:"file"`
			Nodes []h5io.Node `json:"nodes"`
		}{c.File, nodes})
	}
	writeInfo(g.stdout, c.File, nodes)
	return nil
}

// writeInfo renders nodes as text: one line per group with its NeXus
// class and attributes, its datasets indented below it.
func writeInfo(w io.Writer, file string, nodes []h5io.Node) {
	fmt.Fprintf(w, "%s\n", file)
	for _, n := range nodes {
		if n.Kind == "group" {
			cls := n.NXClass
			if cls == "" {
				cls = "group"
			}
			fmt.Fprintf(w, "%s  [%s]%s\n", n.Path, cls, attrText(n.Attrs))
			continue
		}
		fmt.Fprintf(w, "    %s  %s%s\n", path.Base(n.Path), datasetText(n), attrText(n.Attrs))
	}
}

func datasetText(n h5io.Node) string {
	var b strings.Builder
	b.WriteString(n.DType)
	if len(n.Shape) > 0 {
		fmt.Fprintf(&b, " %s", shapeText(n.Shape))
	}
	if len(n.Chunk) > 0 {
		fmt.Fprintf(&b, " chunks %s", shapeText(n.Chunk))
	}
	if n.Filters != "" {
		fmt.Fprintf(&b, " %s", n.Filters)
	}
	if n.VirtualMappings > 0 {
		fmt.Fprintf(&b, " virtual (%d mappings from %s)", n.VirtualMappings, filesText(n.VirtualFiles))
	}
	switch v := n.Value.(type) {
	case string:
		fmt.Fprintf(&b, " = %s", quoteShort(v))
	case float64:
		fmt.Fprintf(&b, " = %s", num(v))
	case []string:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = quoteShort(s)
		}
		fmt.Fprintf(&b, " = [%s]", strings.Join(q, ", "))
	case []float64:
		if n.First == nil || len(v) <= 4 {
			fmt.Fprintf(&b, " = %s", numList(v))
		}
	}
	if n.First != nil && n.Last != nil {
		if _, small := n.Value.([]float64); !small || len(n.Value.([]float64)) > 4 {
			fmt.Fprintf(&b, " %s .. %s", num(*n.First), num(*n.Last))
		}
	}
	return b.String()
}

// numList formats numbers as [a b c], each by num.
func numList(v []float64) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = num(x)
	}
	return "[" + strings.Join(p, " ") + "]"
}

func shapeText(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = fmt.Sprint(v)
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// quoteShort quotes s on one line, truncated to 160 characters.
func quoteShort(s string) string {
	s = oneLine(s)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func attrText(attrs map[string]any) string {
	if len(attrs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		switch v := attrs[k].(type) {
		case string:
			fmt.Fprintf(&b, " %s=%s", k, quoteShort(v))
		case []string:
			fmt.Fprintf(&b, " %s=[%s]", k, strings.Join(v, ","))
		case float64:
			fmt.Fprintf(&b, " %s=%s", k, num(v))
		case []float64:
			fmt.Fprintf(&b, " %s=%s", k, numList(v))
		default:
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
	}
	return b.String()
}

// filesText names the source files of a virtual dataset: all of them up
// to three, else the first and the count.
func filesText(files []string) string {
	switch {
	case len(files) == 1:
		return files[0]
	case len(files) <= 3:
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%d files: %s, ...", len(files), files[0])
}
