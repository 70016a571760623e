package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TunnelEndpoint returns the pod's IP and the port, which the core dials
// itself; the core's runtime block must list the pod network. With config
// tunnel = "socket" it returns runtime.ErrNoEndpoint and the SDK uses Dial.
func (r *Runtime) TunnelEndpoint(ctx context.Context, req runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.TunnelEndpointResponse{}, err
	}
	if c.cfg.tunnel == TunnelModeSocket {
		return runtime.TunnelEndpointResponse{}, runtime.ErrNoEndpoint
	}
	pod, err := c.runningPod(ctx, req)
	if err != nil {
		return runtime.TunnelEndpointResponse{}, err
	}
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil {
		return runtime.TunnelEndpointResponse{}, fmt.Errorf("tunnel to session %s: pod %s has no IP yet (%q)", req.SessionID, pod.Name, pod.Status.PodIP)
	}
	return runtime.TunnelEndpointResponse{Address: net.JoinHostPort(ip.String(), strconv.Itoa(req.Port))}, nil
}

// runningPod is the session's pod when its container runs.
func (c *cluster) runningPod(ctx context.Context, req runtime.TunnelRequest) (*corev1.Pod, error) {
	if req.Port < 1 || req.Port > 65535 {
		return nil, fmt.Errorf("tunnel to session %s: port %d is not a TCP port", req.SessionID, req.Port)
	}
	st, pod, err := c.inspect(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	if pod == nil {
		return nil, fmt.Errorf("tunnel to session %s: %w", req.SessionID, runtime.ErrSessionNotFound)
	}
	if st.State != runtime.StateRunning {
		return nil, fmt.Errorf("tunnel to session %s: its pod is %s (%s), not running; resume or start the session first", req.SessionID, st.State, st.Message)
	}
	return pod, nil
}

// Dial reaches the session's port through the API server's port-forward,
// one SPDY connection per tunnel. An error the kubelet reports (nothing
// listens on the port, the pod went away) ends the connection and is
// returned by the next Read.
func (r *Runtime) Dial(ctx context.Context, req runtime.TunnelRequest) (net.Conn, error) {
	c, err := r.cluster()
	if err != nil {
		return nil, err
	}
	pod, err := c.runningPod(ctx, req)
	if err != nil {
		return nil, err
	}
	rt, upgrader, err := spdy.RoundTripperFor(c.rest)
	if err != nil {
		return nil, fmt.Errorf("port-forward transport for %s: %w", c.host, err)
	}
	u := c.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer := spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)

	type result struct {
		conn httpstream.Connection
		err  error
	}
	done := make(chan result, 1)
	go func() {
		conn, _, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
		done <- result{conn, err}
	}()
	var sc httpstream.Connection
	select {
	case <-ctx.Done():
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, fmt.Errorf("port-forward to pod %s: %w", pod.Name, ctx.Err())
	case r := <-done:
		if r.err != nil {
			return nil, c.apiErr("port-forward to pod "+pod.Name, r.err)
		}
		sc = r.conn
	}

	headers := http.Header{}
	headers.Set(corev1.StreamType, corev1.StreamTypeError)
	headers.Set(corev1.PortHeader, strconv.Itoa(req.Port))
	headers.Set(corev1.PortForwardRequestIDHeader, "0")
	errStream, err := sc.CreateStream(headers)
	if err != nil {
		_ = sc.Close()
		return nil, fmt.Errorf("port-forward to pod %s: error stream: %w", pod.Name, err)
	}
	_ = errStream.Close() // the client never writes on it
	headers.Set(corev1.StreamType, corev1.StreamTypeData)
	data, err := sc.CreateStream(headers)
	if err != nil {
		_ = sc.Close()
		return nil, fmt.Errorf("port-forward to pod %s: data stream: %w", pod.Name, err)
	}
	fc := &forwardConn{conn: sc, data: data, pod: pod.Name, port: req.Port, errDone: make(chan struct{})}
	go fc.watchErrors(errStream)
	return fc, nil
}

// forwardConn is one port-forwarded connection as a net.Conn.
type forwardConn struct {
	conn httpstream.Connection
	data httpstream.Stream
	pod  string
	port int

	mu      sync.Mutex
	remote  error
	errDone chan struct{} // closed once the error stream has ended
	once    sync.Once
}

// errWait bounds how long a Read that hit the end of the data stream waits
// for the error stream: the kubelet may write its reason just after it
// closed the data.
const errWait = time.Second

// watchErrors reads what the kubelet says went wrong; anything it says
// ends the connection, and Read returns it in place of a bare EOF.
func (f *forwardConn) watchErrors(s httpstream.Stream) {
	defer close(f.errDone)
	msg, _ := io.ReadAll(s)
	if len(msg) == 0 {
		return
	}
	f.mu.Lock()
	f.remote = fmt.Errorf("port-forward to pod %s port %d: %s", f.pod, f.port, msg)
	f.mu.Unlock()
	_ = f.Close()
}

func (f *forwardConn) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err != nil {
		select {
		case <-f.errDone:
		case <-time.After(errWait):
		}
		f.mu.Lock()
		if f.remote != nil {
			err = f.remote
		}
		f.mu.Unlock()
	}
	return n, err
}

func (f *forwardConn) Write(p []byte) (int, error) { return f.data.Write(p) }

// Close ends the streams and the SPDY connection.
func (f *forwardConn) Close() error {
	var err error
	f.once.Do(func() {
		_ = f.data.Close()
		err = f.conn.Close()
	})
	return err
}

// CloseWrite half-closes, as a TCP connection would: the SDK's copier uses
// it to pass the core's EOF on.
func (f *forwardConn) CloseWrite() error { return f.data.Close() }

type forwardAddr string

func (a forwardAddr) Network() string { return "portforward" }
func (a forwardAddr) String() string  { return string(a) }

func (f *forwardConn) LocalAddr() net.Addr { return forwardAddr("atrium-runtime-k8s") }
func (f *forwardConn) RemoteAddr() net.Addr {
	return forwardAddr(f.pod + ":" + strconv.Itoa(f.port))
}

// Deadlines are not supported by SPDY streams; the SDK's copier does not
// set them on plugin-side connections.
func (f *forwardConn) SetDeadline(time.Time) error      { return errDeadline }
func (f *forwardConn) SetReadDeadline(time.Time) error  { return errDeadline }
func (f *forwardConn) SetWriteDeadline(time.Time) error { return errDeadline }

var errDeadline = errors.New("port-forward connections have no deadlines")
