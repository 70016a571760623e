// Command pgserver runs a private, throwaway PostgreSQL for tests that
// cannot import core/internal (the end-to-end tests in test/e2e): it prints
// a superuser connection URL on the first line of stdout, and stops the
// server and removes its directory when stdin closes or on SIGTERM. With
// ATRIUM_TEST_DATABASE_URL set it starts nothing and prints that URL.
//
// With -restartable it always starts its own server and obeys lines on
// stdin: "stop" shuts PostgreSQL down (fast mode, as an operator's pg_ctl
// stop), "start" starts it again on the same port and data; each answers
// "ok" or "error: …" on stdout. A test uses it to take the database away
// from a running core and bring it back.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

func main() {
	os.Exit(run())
}

func run() int {
	restartable := flag.Bool("restartable", false, "start a server of its own even when "+storetest.EnvURL+" is set, and obey stop/start lines on stdin")
	flag.Parse()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)

	if u := os.Getenv(storetest.EnvURL); u != "" && !*restartable {
		fmt.Println(u)
		for {
			select {
			case _, ok := <-lines:
				if !ok {
					return 0
				}
			case <-sig:
				return 0
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := hclog.New(&hclog.LoggerOptions{Name: "pgserver", Level: hclog.Warn, Output: os.Stderr})
	srv, err := storetest.StartPrivate(ctx, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	fmt.Println(srv.URL("postgres"))
	for done := false; !done; {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				done = true
			case !*restartable:
			case line == "stop" || line == "start":
				fmt.Println(answer(srv, line))
			default:
				fmt.Printf("error: unknown command %q (stop, start)\n", line)
			}
		case <-sig:
			done = true
		}
	}
	stopCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	if err := srv.Close(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	return 0
}

// answer runs one command and says how it went, on one line.
func answer(srv *storetest.Private, cmd string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	if cmd == "stop" {
		err = srv.Stop(ctx)
	} else {
		err = srv.Start(ctx)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}
