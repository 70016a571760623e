package config

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// sameBody reports whether two undecoded `config { }` bodies, a from ca's
// files and b from cb's, say the same thing: the same tokens in the same
// order, whatever the comments, blank lines and indentation. A change to a
// file that a function such as file() reads is not seen.
func sameBody(ca, cb *Config, a, b hcl.Body) bool {
	ta, oka := bodyTokens(ca, a)
	tb, okb := bodyTokens(cb, b)
	if !oka || !okb || len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i].Type != tb[i].Type || !bytes.Equal(ta[i].Bytes, tb[i].Bytes) {
			return false
		}
	}
	return true
}

// bodyTokens lexes body's source, leaving out comments and line breaks.
// An empty body has no tokens; false means the source is not at hand.
func bodyTokens(c *Config, body hcl.Body) (hclsyntax.Tokens, bool) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil, false
	}
	if len(sb.Attributes) == 0 && len(sb.Blocks) == 0 {
		return nil, true
	}
	src := c.bodySource(sb)
	if src == nil {
		return nil, false
	}
	toks, diags := hclsyntax.LexConfig(src, sb.SrcRange.Filename, sb.SrcRange.Start)
	if diags.HasErrors() {
		return nil, false
	}
	out := toks[:0:0]
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenComment, hclsyntax.TokenNewline, hclsyntax.TokenEOF:
			continue
		}
		out = append(out, t)
	}
	return out, true
}

// bodySource returns the source text of one of c's bodies, or nil.
func (c *Config) bodySource(b *hclsyntax.Body) []byte {
	if src, ok := c.kept[b]; ok {
		return src
	}
	f := c.files[b.SrcRange.Filename]
	if f == nil || b.SrcRange.End.Byte > len(f.Bytes) {
		return nil
	}
	return f.Bytes[b.SrcRange.Start.Byte:b.SrcRange.End.Byte]
}

// keep records the source of body, which comes from another read of the
// file than c.files: a reloaded config keeps the running blocks that only
// a restart changes.
func (c *Config) keep(from *Config, body hcl.Body) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	if src := from.bodySource(sb); src != nil {
		if c.kept == nil {
			c.kept = map[*hclsyntax.Body][]byte{}
		}
		c.kept[sb] = src
	}
}
