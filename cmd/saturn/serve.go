package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/saturnmq/saturn/namesrv"
)

// serveFlags are the settings of `saturn serve`.
type serveFlags struct {
	dataDir string
	ns      namesrvFlags
}

func newServeCommand(opts *globalOptions) *cobra.Command {
	flags := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a name server and a broker in one process (the default way to run Saturn)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := opts.logger()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(flags.dataDir, 0o755); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			nsCfg, err := flags.ns.config(cmd, "namesrv-")
			if err != nil {
				return err
			}
			if nsCfg.DataDir == "" {
				nsCfg.DataDir = filepath.Join(flags.dataDir, "namesrv")
			}
			ns, err := namesrv.New(nsCfg, logger.With("role", "namesrv"))
			if err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			if err := ns.Start(); err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			logger.Info("saturn started", "namesrv", ns.Addr().String(), "data-dir", flags.dataDir, "version", version)
			shutdownCtx, cancel := waitForSignal(context.Background())
			defer cancel()
			logger.Info("shutting down")
			return ns.Shutdown(shutdownCtx)
		},
	}
	cmd.Flags().StringVar(&flags.dataDir, "data-dir", "./data", "directory for all of Saturn's data")
	flags.ns.register(cmd, "namesrv-")
	return cmd
}
