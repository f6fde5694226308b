// Command saturn is Saturn's single binary: a message broker that speaks
// Apache RocketMQ's protocol. Each role is a subcommand: `serve` runs a name
// server and a broker in one process, `namesrv` and `broker` run one role each.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "saturn:", err)
		os.Exit(1)
	}
}
