package pipeline_test

import (
	"os"
	"testing"

	"github.com/zbemu/zbemu/engine/lowprio/lowpriotest"
)

func TestMain(m *testing.M) { os.Exit(lowpriotest.Main(m)) }
