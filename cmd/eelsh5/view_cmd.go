package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

type viewCmd struct {
	File string `arg:"" type:"path" help:"Processing file (opened read-only)."`
	Port int    `default:"8765" help:"TCP port on 127.0.0.1 (0: any free port)."`
}

// Run serves the viewer on 127.0.0.1 until interrupted.
func (c *viewCmd) Run(g *Globals) error {
	if c.Port < 0 || c.Port > 65535 {
		return usageError{fmt.Errorf("--port %d: use 0..65535", c.Port)}
	}
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	v, err := newViewer(f, c.File, g.stderr)
	if err != nil {
		return err
	}
	if len(v.sets) == 0 {
		return fmt.Errorf("%s has no NXdata group to show", c.File)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.Port))
	if err != nil {
		return fmt.Errorf("could not listen on 127.0.0.1:%d: %w (give another --port, or 0 for any free one)", c.Port, err)
	}
	v.allowHosts(ln.Addr())
	srv := &http.Server{Handler: v.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(g.stderr, "eelsh5 view: %s (read-only) on http://%s/ ; press Ctrl-C to stop\n", c.File, ln.Addr())
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
