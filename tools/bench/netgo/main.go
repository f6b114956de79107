// netpeer - the Go peer of Tally's network benchmarks (tools/netbench.py):
// the same UDP echo server as apps/udpecho.c and the same HTTP/1.1
// keep-alive server as apps/httpd.c, in one static program (CGO_ENABLED=0)
// that the Linux guest runs as its only process after /init
// (tools/bench/init/init.c) has loaded virtio_net and set the address.
//
// UDP: port -udp (default 7); every datagram goes back to its sender
// unchanged, from one goroutine reading the socket (as udpecho.c's
// goroutine per socket).  A datagram that is exactly "quit" ends the
// program after it is echoed; one that is exactly "mark" is echoed, then
// /proc/stat's counters summed over the CPUs are printed as one line, as
// udpecho.c prints its ledger, for the harness to take differences:
//
//	netpeer: mark N user_hz 100 user=T nice=T system=T idle=T iowait=T irq=T softirq=T steal=T
//
// HTTP: port -http (default 80), a goroutine per connection, keep-alive
// (HTTP/1.1 unless "Connection: close"; HTTP/1.0 closes), written by hand
// rather than with net/http so that the answer is byte for byte the shape
// of httpd.c's: the same page, the same four headers (Server,
// Content-Type, Content-Length, Connection), GET and HEAD only, 400 for
// what does not parse, 404 for unknown paths.  Paths:
//
//	/        the page httpd.c serves (the same 141 bytes)
//	/stats   JSON: per CPU, /proc/stat's counters (user, nice, system,
//	         idle, iowait, irq, softirq, steal; USER_HZ ticks) and the
//	         ticks per second, so the harness can split the guest's time
//	         between requests the way Tally's ledger does (more coarsely)
//	/quit    answers, then ends the program
//
// Invariants: nothing is allocated per request beyond bufio's buffers and
// the header string; a request header block past 8 KiB gets 400 and the
// connection is closed.  The listening line, printed once both sockets
// are bound, is what the harness waits for:
//
//	netpeer: listening udp 7 tcp 80 (go1.19.8, GOMAXPROCS 2)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const page = "<!doctype html>\n<html><head><title>Tally</title></head>\n" +
	"<body><h1>Tally</h1><p>Served by a goroutine on Tally's TCP stack.</p></body></html>\n"

const reqMax = 8192

var served int64

var statNames = []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}

// cpuTicks is /proc/stat's per-CPU lines: name ("0", "1", ...) and the
// counters of statNames, in USER_HZ ticks (100 a second on x86).
func cpuTicks() (names []string, ticks [][]string) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		names = append(names, f[0][3:])
		ticks = append(ticks, f[1:9])
	}
	return names, ticks
}

func printMark(echoed int64) {
	_, ticks := cpuTicks()
	var b strings.Builder
	fmt.Fprintf(&b, "netpeer: mark %d user_hz 100", echoed)
	for i, n := range statNames {
		var sum int64
		for _, t := range ticks {
			v, _ := strconv.ParseInt(t[i], 10, 64)
			sum += v
		}
		fmt.Fprintf(&b, " %s=%d", n, sum)
	}
	fmt.Println(b.String())
}

func udpEcho(c *net.UDPConn, quit chan<- string) {
	var echoed int64
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			quit <- "udp: " + err.Error()
			return
		}
		if _, err := c.WriteToUDP(buf[:n], from); err != nil {
			fmt.Printf("netpeer: udp: sendto: %v\n", err)
			continue
		}
		echoed++
		if n == 4 && string(buf[:4]) == "mark" {
			printMark(echoed)
		}
		if n == 4 && string(buf[:4]) == "quit" {
			quit <- ""
			return
		}
	}
}

func respond(w *bufio.Writer, code int, ctype string, body []byte, keep, head bool) error {
	why := "Bad Request"
	if code == 200 {
		why = "OK"
	} else if code == 404 {
		why = "Not Found"
	}
	conn := "close"
	if keep {
		conn = "keep-alive"
	}
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nServer: golang-http\r\nContent-Type: %s\r\n"+
		"Content-Length: %d\r\nConnection: %s\r\n\r\n", code, why, ctype, len(body), conn)
	if !head {
		w.Write(body)
	}
	return w.Flush()
}

// procStat is /proc/stat's per-CPU lines as JSON (/stats).
func procStat() []byte {
	names, ticks := cpuTicks()
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"ncpu\":%d,\"served\":%d,\"user_hz\":100,\"cpus\":[",
		runtime.NumCPU(), atomic.LoadInt64(&served))
	for c, t := range ticks {
		if c > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "{\"cpu\":%s,\"ticks\":{", names[c])
		for i, n := range statNames {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\"%s\":%s", n, t[i])
		}
		b.WriteString("}}")
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// handle answers one request (the header block without its final CRLF
// CRLF): keep going, or close.
func handle(w *bufio.Writer, req string, quit chan<- string) bool {
	lines := strings.Split(req, "\r\n")
	f := strings.Fields(lines[0])
	if len(f) != 3 || !strings.HasPrefix(f[1], "/") ||
		(f[2] != "HTTP/1.1" && f[2] != "HTTP/1.0") {
		respond(w, 400, "text/plain", []byte("bad request\n"), false, false)
		return false
	}
	head := f[0] == "HEAD"
	if !head && f[0] != "GET" {
		respond(w, 400, "text/plain", []byte("only GET and HEAD\n"), false, false)
		return false
	}
	keep := f[2] == "HTTP/1.1"
	for _, h := range lines[1:] {
		i := strings.IndexByte(h, ':')
		if i <= 0 || h[0] == ' ' || h[0] == '\t' {
			respond(w, 400, "text/plain", []byte("bad header\n"), false, false)
			return false
		}
		name := strings.ToLower(h[:i])
		v := strings.ToLower(strings.TrimSpace(h[i+1:]))
		switch name {
		case "connection":
			if strings.HasPrefix(v, "close") {
				keep = false
			} else if strings.HasPrefix(v, "keep-alive") {
				keep = true
			}
		case "content-length", "transfer-encoding":
			if n, _ := strconv.Atoi(v); n != 0 || name == "transfer-encoding" {
				respond(w, 400, "text/plain", []byte("no request bodies\n"), false, false)
				return false
			}
		}
	}
	var err error
	switch f[1] {
	case "/":
		err = respond(w, 200, "text/html", []byte(page), keep, head)
	case "/stats":
		err = respond(w, 200, "application/json", procStat(), keep, head)
	case "/quit":
		respond(w, 200, "text/plain", []byte("bye\n"), false, head)
		quit <- ""
		return false
	default:
		err = respond(w, 404, "text/plain", []byte("not found\n"), keep, head)
	}
	atomic.AddInt64(&served, 1)
	return err == nil && keep
}

func serve(c net.Conn, quit chan<- string) {
	defer c.Close()
	r := bufio.NewReaderSize(c, reqMax)
	w := bufio.NewWriterSize(c, 4096)
	for {
		var req bytes.Buffer
		for {
			line, err := r.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				return // end of stream or an error: the client is gone
			}
			if req.Len()+len(line) > reqMax || err == bufio.ErrBufferFull {
				respond(w, 400, "text/plain", []byte("header too large\n"), false, false)
				return
			}
			if bytes.IndexByte(line, 0) >= 0 {
				respond(w, 400, "text/plain", []byte("NUL in request\n"), false, false)
				return
			}
			if (len(line) == 2 && line[0] == '\r') || len(line) == 1 {
				break
			}
			req.Write(line)
		}
		s := strings.TrimRight(req.String(), "\r\n")
		if !handle(w, s, quit) {
			return
		}
	}
}

func main() {
	udpPort := flag.Int("udp", 7, "UDP echo port")
	httpPort := flag.Int("http", 80, "HTTP port")
	flag.Parse()
	u, err := net.ListenUDP("udp4", &net.UDPAddr{Port: *udpPort})
	if err != nil {
		fmt.Printf("netpeer: udp port %d: %v\n", *udpPort, err)
		os.Exit(1)
	}
	l, err := net.Listen("tcp4", ":"+strconv.Itoa(*httpPort))
	if err != nil {
		fmt.Printf("netpeer: tcp port %d: %v\n", *httpPort, err)
		os.Exit(1)
	}
	quit := make(chan string, 4)
	go udpEcho(u, quit)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				quit <- "accept: " + err.Error()
				return
			}
			go serve(c, quit)
		}
	}()
	fmt.Printf("netpeer: listening udp %d tcp %d (%s, GOMAXPROCS %d)\n", *udpPort, *httpPort,
		runtime.Version(), runtime.GOMAXPROCS(0))
	why := <-quit
	time.Sleep(100 * time.Millisecond) // the /quit answer leaves
	fmt.Printf("netpeer: served %d requests\n", atomic.LoadInt64(&served))
	if why != "" {
		fmt.Printf("netpeer: %s\n", why)
		os.Exit(1)
	}
}
