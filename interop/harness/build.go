package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Binary builds the saturn binary once per test process and returns its path.
// The build goes into dir, which the caller owns (usually a TestMain temp dir).
type Binary struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// NewBinary returns a Binary that builds into dir.
func NewBinary(dir string) *Binary { return &Binary{dir: dir} }

// Path builds the binary on first use and returns its path.
func (b *Binary) Path() (string, error) {
	b.once.Do(func() {
		if p := os.Getenv("SATURN_BIN"); p != "" {
			b.path = p
			return
		}
		// Build inside the product module (found through the interop
		// module's replace directive) so that its own go.sum applies.
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/saturnmq/saturn").Output()
		if err != nil {
			b.err = fmt.Errorf("locate the saturn module: %w", err)
			return
		}
		b.path = filepath.Join(b.dir, "saturn")
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/saturn")
		cmd.Dir = strings.TrimSpace(string(root))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("build saturn: %w\n%s", err, out)
		}
	})
	return b.path, b.err
}
