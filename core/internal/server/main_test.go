package server

import (
	"os"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
