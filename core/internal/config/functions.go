package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// NewEvalContext returns the functions a config file may call, with file()
// resolving relative paths against baseDir. The context has no variables:
// a config is plain data plus a few ways to pull values from outside.
func NewEvalContext(baseDir string) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{
			"env":  envFunc(),
			"file": fileFunc(baseDir),
			// A few string helpers, mostly for massaging file() and env()
			// output, e.g. trimspace(file("token")).
			"trimspace": stdlib.TrimSpaceFunc,
			"lower":     stdlib.LowerFunc,
			"upper":     stdlib.UpperFunc,
			"join":      stdlib.JoinFunc,
			"split":     stdlib.SplitFunc,
			"replace":   stdlib.ReplaceFunc,
			"format":    stdlib.FormatFunc,
			"concat":    stdlib.ConcatFunc,
			"merge":     stdlib.MergeFunc,
			"coalesce":  stdlib.CoalesceFunc,
		},
	}
}

// envFunc is env(name) or env(name, default). An unset variable without a
// default is an error, so a typo in a variable name fails loudly instead of
// becoming an empty password. A variable set to "" counts as set.
func envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is unset.",
		Params: []function.Parameter{
			{Name: "name", Type: cty.String},
		},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			name := args[0].AsString()
			if name == "" {
				return cty.NilVal, function.NewArgErrorf(0, "the variable name is empty")
			}
			if v, ok := os.LookupEnv(name); ok {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, function.NewArgErrorf(0,
				"environment variable %s is not set; set it, or give a default as env(%q, \"…\")", name, name)
		},
	})
}

// fileFunc is file(path): the contents of a UTF-8 text file, relative paths
// taken from baseDir (the config file's directory) so a config means the
// same thing whatever directory atrium starts in.
func fileFunc(baseDir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a text file; relative paths start at the config file's directory.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			if path == "" {
				return cty.NilVal, function.NewArgErrorf(0, "the path is empty")
			}
			if !filepath.IsAbs(path) {
				path = filepath.Join(baseDir, path)
			}
			b, err := readTextFile(path)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, function.NewArgErrorf(0, "%s is not UTF-8 text", path)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// maxFileSize bounds what file() reads. Config values from files are
// digests, tokens and certificates; anything bigger is a mistake.
const maxFileSize = 4 << 20

// readTextFile reads a regular file of at most maxFileSize bytes. Devices
// and pipes are refused: reading /dev/zero or a FIFO would hang the core
// at start-up.
func readTextFile(path string) ([]byte, error) {
	// Stat before Open: opening a FIFO blocks until a writer appears.
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxFileSize>>20)
	}
	return b, nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose message repeats
// the path we already name.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
