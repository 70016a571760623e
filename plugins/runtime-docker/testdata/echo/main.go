// Command echo is the session program of runtime-docker's tests. It runs
// in a FROM-scratch image, so it is a static Go binary with no shell.
//
// It echoes every byte it reads on -echo. With -file and -append it first
// appends a line to a file (in the home volume) and then serves that file's
// whole content to each connection on -cat, so a test can see what earlier
// sessions wrote. With -reach it answers each connection on -cat with
// whether it could open a TCP connection to that address, so a test can
// see what a session reaches.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"os"
	"time"
)

func main() {
	echoAddr := flag.String("echo", ":7000", "address of the echo server")
	catAddr := flag.String("cat", ":7001", "address that serves -file's content")
	file := flag.String("file", "", "file to append -append to at start")
	appendLine := flag.String("append", "", "line to append to -file")
	reach := flag.String("reach", "", "address to try to connect to for each connection on -cat")
	flag.Parse()

	if *reach != "" {
		go serve(*catAddr, func(c net.Conn) {
			t, err := net.DialTimeout("tcp", *reach, 2*time.Second)
			if err != nil {
				_, _ = io.WriteString(c, "unreachable: "+err.Error())
				return
			}
			t.Close()
			_, _ = io.WriteString(c, "reached")
		})
	}

	if *file != "" {
		f, err := os.OpenFile(*file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatalf("open %s: %v", *file, err)
		}
		if _, err := f.WriteString(*appendLine + "\n"); err != nil {
			log.Fatalf("append to %s: %v", *file, err)
		}
		if err := f.Close(); err != nil {
			log.Fatalf("close %s: %v", *file, err)
		}
		go serve(*catAddr, func(c net.Conn) {
			b, err := os.ReadFile(*file)
			if err != nil {
				log.Printf("read %s: %v", *file, err)
				return
			}
			_, _ = c.Write(b)
		})
	}
	serve(*echoAddr, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// serve accepts connections on addr and handles each in its own goroutine.
func serve(addr string, handle func(net.Conn)) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("listen on %s: %v", addr, err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("accept on %s: %v", addr, err)
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}
