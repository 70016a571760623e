package runtime

import (
	"sync"

	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
)

// progressStream turns an author's Progress calls into stream messages. It
// keeps the phases in order, serialises sends (a gRPC stream allows one
// sender at a time), and drops reports after the call has returned.
type progressStream struct {
	mu   sync.Mutex
	send func(*runtimev1.Progress) error
	last int
	done bool
}

func newProgressStream(send func(*runtimev1.Progress) error) *progressStream {
	return &progressStream{send: send}
}

// report is the Progress func the author calls.
func (p *progressStream) report(pr Progress) {
	if pr.Phase == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rank := pr.Phase.Rank()
	if p.done || (rank != 0 && rank < p.last) {
		return
	}
	if rank != 0 {
		p.last = rank
	}
	// A failed send means the core has gone; the call's context says so.
	_ = p.send(&runtimev1.Progress{Phase: string(pr.Phase), Message: pr.Message})
}

// close stops further reports, so the result is the stream's last message.
func (p *progressStream) close() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
}

func (s *server) StartSessionStream(req *runtimev1.StartSessionStreamRequest, stream runtimev1.RuntimeService_StartSessionStreamServer) error {
	if err := s.state.Ready(); err != nil {
		return err
	}
	ps := newProgressStream(func(p *runtimev1.Progress) error {
		return stream.Send(&runtimev1.StartSessionStreamResponse{Kind: &runtimev1.StartSessionStreamResponse_Progress{Progress: p}})
	})
	resp, err := s.start(stream.Context(), req.GetSession(), req.GetSpec(), ps.report)
	ps.close()
	if err != nil {
		return err
	}
	return stream.Send(&runtimev1.StartSessionStreamResponse{Kind: &runtimev1.StartSessionStreamResponse_Result{Result: resp}})
}

func (s *server) ResumeSessionStream(req *runtimev1.ResumeSessionStreamRequest, stream runtimev1.RuntimeService_ResumeSessionStreamServer) error {
	if err := s.state.Ready(); err != nil {
		return err
	}
	ps := newProgressStream(func(p *runtimev1.Progress) error {
		return stream.Send(&runtimev1.ResumeSessionStreamResponse{Kind: &runtimev1.ResumeSessionStreamResponse_Progress{Progress: p}})
	})
	resp, err := s.resume(stream.Context(), req.GetSessionId(), req.GetHandle(), ps.report)
	ps.close()
	if err != nil {
		return err
	}
	return stream.Send(&runtimev1.ResumeSessionStreamResponse{Kind: &runtimev1.ResumeSessionStreamResponse_Result{Result: resp}})
}
