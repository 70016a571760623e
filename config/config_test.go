package config

import (
	"io/fs"
	"strings"
	"testing"
)

func TestEmbeddedFiles(t *testing.T) {
	if !strings.Contains(string(Default), "server {") {
		t.Errorf("Default does not hold the default config:\n%s", Default)
	}
	if _, err := fs.Stat(Examples, "examples/full.hcl"); err != nil {
		t.Errorf("Examples lacks full.hcl: %v", err)
	}
}
