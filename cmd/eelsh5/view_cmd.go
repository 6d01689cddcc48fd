package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

type viewCmd struct {
	File string `arg:"" type:"path" help:"Processing file (opened read-only, and only while a request is served: fit and quant can write to it meanwhile)."`
	Port int    `default:"8765" help:"TCP port on 127.0.0.1 (0: any free port)."`
}

// Run serves the viewer on 127.0.0.1 until interrupted. The file is
// opened for each request and closed before the answer is sent, and
// listed again when it changed: steps written meanwhile appear in the
// page.
func (c *viewCmd) Run(g *Globals) error {
	if c.Port < 0 || c.Port > 65535 {
		return usageError{fmt.Errorf("--port %d: use 0..65535", c.Port)}
	}
	// The file is opened only while a request is served, so that fit and
	// quant can write to it while the page is open.
	name := c.File // absolute (kong's path type): shown relative to the working directory when inside it
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, c.File); err == nil && filepath.IsLocal(rel) {
			name = rel
		}
	}
	v, err := newViewer(c.File, name, g.stderr)
	switch {
	case errors.Is(err, errFileBusy):
		fmt.Fprintf(g.stderr, "eelsh5 view: %s is being written by another process; the page shows it once that has finished\n", name)
	case err != nil:
		return err
	case len(v.list.sets) == 0:
		return fmt.Errorf("%s has no NXdata group to show", name)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.Port))
	if err != nil {
		return fmt.Errorf("could not listen on 127.0.0.1:%d: %w (give another --port, or 0 for any free one)", c.Port, err)
	}
	v.allowHosts(ln.Addr())
	srv := &http.Server{Handler: v.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(g.stderr, "eelsh5 view: %s (read-only, opened only while answering a request) on http://%s/ ; press Ctrl-C to stop\n", name, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-g.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
