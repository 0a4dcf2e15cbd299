// Command bwk-probe is the test node's network probe, built static (CGO off) into the pod image beside busybox, whose
// Debian build crashes in wget (static glibc's resolver). In a pod:
//
//	bwk-probe tcp HOST:PORT              connect within 2 s and read the answer to an HTTP GET; exit 0 if it came
//	bwk-probe api URL TOKEN_FILE CA_FILE GET URL with the token as a bearer; prints the HTTP status code
//	bwk-probe watch HOST:PORT            connect every 20 ms (timeout 200 ms); print "<unix ms> up|down" on each change
//
//	bwk-probe stream HOST:PORT           one connection, a line "tick N" every 100 ms, until a write fails
//
// On the node (test/services/node.sh) and the internet side:
//
//	bwk-probe proxy LISTEN TARGET        forward TCP connections (pods reach the API server on the bridge address)
//	bwk-probe sink LISTEN                print "<unix ms> <line>" for every line any connection sends
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: bwk-probe tcp HOST:PORT | api URL TOKEN_FILE CA_FILE | proxy LISTEN TARGET")
	}
	switch os.Args[1] {
	case "tcp":
		tcp(os.Args[2])
	case "api":
		if len(os.Args) != 5 {
			fail("usage: bwk-probe api URL TOKEN_FILE CA_FILE")
		}
		api(os.Args[2], os.Args[3], os.Args[4])
	case "watch":
		watch(os.Args[2])
	case "stream":
		stream(os.Args[2])
	case "sink":
		sink(os.Args[2])
	case "proxy":
		if len(os.Args) != 4 {
			fail("usage: bwk-probe proxy LISTEN TARGET")
		}
		proxy(os.Args[2], os.Args[3])
	default:
		fail("unknown probe " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}

// tcp: a refused or silently dropped connection both fail within 2 s; a connection that opens but never answers
// (dropped after the handshake) fails too, so "reachable" means a server's bytes came back.
func tcp(addr string) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		fmt.Println("unreachable:", err)
		os.Exit(1)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		fmt.Println("unreachable:", err)
		os.Exit(1)
	}
	body, err := io.ReadAll(conn)
	if len(body) == 0 {
		fmt.Println("unreachable: no answer:", err)
		os.Exit(1)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	fmt.Println("reachable:", lines[len(lines)-1])
}

// watch: the moment a path closes, to the millisecond (bench:respond --node reads it from the pod's log). A refused
// connection fails at once; a dropped one after the 200 ms timeout, stamped when the attempt began.
func watch(addr string) {
	state := ""
	for {
		began := time.Now()
		now := "down"
		if conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			now = "up"
			conn.Close()
		}
		if now != state {
			fmt.Printf("%d %s\n", began.UnixMilli(), now)
			state = now
		}
		time.Sleep(20*time.Millisecond - time.Since(began))
	}
}

// stream: what an attacker's reverse shell is to a firewall, an established connection carrying data both ways.
func stream(addr string) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		fail(err.Error())
	}
	for n := 1; ; n++ {
		_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := fmt.Fprintf(conn, "tick %d\n", n); err != nil {
			fmt.Printf("%d write failed: %v\n", time.Now().UnixMilli(), err)
			os.Exit(1)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sink(listen string) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fail(err.Error())
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer conn.Close()
			lines := bufio.NewScanner(conn)
			for lines.Scan() {
				fmt.Printf("%d %s\n", time.Now().UnixMilli(), lines.Text())
			}
		}()
	}
}

func api(url, tokenFile, caFile string) {
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		fail(err.Error())
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		fail(err.Error())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	// The API server's certificate names 127.0.0.1; the pod reaches it through the node's proxy on the bridge.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	res, err := client.Do(req)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode)
}

func proxy(listen, target string) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fail(err.Error())
	}
	for {
		in, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer in.Close()
			out, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				return
			}
			defer out.Close()
			go func() { _, _ = io.Copy(out, in) }()
			_, _ = io.Copy(in, out)
		}()
	}
}
