package interop

import (
	"fmt"
	"os"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/saturnmq/saturn/interop/harness"
)

// saturnBin is built once for all tests of this package.
var saturnBin *harness.Binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "saturn-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The official client logs every route refresh at info level.
	rlog.SetLogLevel("error")
	saturnBin = harness.NewBinary(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary returns the path of the saturn binary, failing the test if it
// cannot be built.
func binary(t testing.TB) string {
	t.Helper()
	p, err := saturnBin.Path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
