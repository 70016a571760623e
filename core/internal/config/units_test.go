package config

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4GiB", 4 << 30, true},
		{"512MiB", 512 << 20, true},
		{"1KiB", 1024, true},
		{"2TiB", 2 << 40, true},
		{"1KB", 1000, true},
		{"3MB", 3_000_000, true},
		{"1GB", 1_000_000_000, true},
		{"1.5GiB", 3 << 29, true},
		{"0.5KiB", 512, true},
		{" 8 GiB ", 8 << 30, true},
		{"1048576", 1 << 20, true},
		{"100B", 100, true},
		{"0", 0, true},
		{"1.5B", 0, false},
		{"4gib", 0, false},
		{"4 GiBs", 0, false},
		{"GiB", 0, false},
		{"", 0, false},
		{"-1GiB", 0, false},
		{"1.2.3MB", 0, false},
		{"1e3", 0, false},
		{"99999999999TiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"0s", 0, true},
		{"15", 0, false},
		{"-1s", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestNormalizeSHA256(t *testing.T) {
	upper := "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
	for _, in := range []string{digest, upper, "\n" + digest + "  atrium-runtime-docker\n", digest + "\t*file"} {
		if got, err := normalizeSHA256(in); err != nil || got != digest {
			t.Errorf("normalizeSHA256(%q) = %q, %v; want %q", in, got, err, digest)
		}
	}
	for _, in := range []string{"", "   ", digest[:63], digest + "0", "z" + digest[1:]} {
		if _, err := normalizeSHA256(in); err == nil {
			t.Errorf("normalizeSHA256(%q) succeeded, want an error", in)
		}
	}
}
