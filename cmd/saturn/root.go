package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	logLevel  string
	logFormat string
	gcPercent int
}

func newRootCommand() *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		Use:           "saturn",
		Short:         "Saturn: a message broker that speaks Apache RocketMQ's protocol",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&opts.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().IntVar(&opts.gcPercent, "gc-percent", defaultGCPercent,
		"garbage collection target percentage, as GOGC (-1: off); when not given, GOGC if set, else the default")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return applyGCPercent(opts.gcPercent, cmd.Flags().Changed("gc-percent"), os.Getenv("GOGC"))
	}
	root.AddCommand(
		newNamesrvCommand(opts),
		newBrokerCommand(opts),
		newServeCommand(opts),
		newBenchCommand(opts),
		newVersionCommand(),
	)
	return root
}

// logger builds the process logger from the global flags.
func (o *globalOptions) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(o.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, handlerOpts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, handlerOpts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Saturn's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "saturn", version)
		},
	}
}
