package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/saturnmq/saturn/namesrv"
)

// namesrvFlags are the command-line settings of a name server. Flags given
// explicitly override the config file.
type namesrvFlags struct {
	configFile string
	listen     string
	dataDir    string
}

func (f *namesrvFlags) register(cmd *cobra.Command, prefix string) {
	cmd.Flags().StringVar(&f.configFile, prefix+"config", "", "name server config file (Java properties: listenPort, kvConfigPath, orderMessageEnable, ...)")
	cmd.Flags().StringVar(&f.listen, prefix+"listen", namesrv.DefaultListenAddr, "name server listen address")
}

// config builds the name server config from the file (if any) and the flags
// the user set.
func (f *namesrvFlags) config(cmd *cobra.Command, prefix string) (namesrv.Config, error) {
	var cfg namesrv.Config
	if f.configFile != "" {
		loaded, err := namesrv.LoadConfigFile(f.configFile)
		if err != nil {
			return cfg, err
		}
		cfg = loaded
	}
	if cmd.Flags().Changed(prefix+"listen") || cfg.ListenAddr == "" {
		cfg.ListenAddr = f.listen
	}
	if f.dataDir != "" && cfg.DataDir == "" {
		cfg.DataDir = f.dataDir
	}
	return cfg, nil
}

func newNamesrvCommand(opts *globalOptions) *cobra.Command {
	flags := &namesrvFlags{}
	cmd := &cobra.Command{
		Use:   "namesrv",
		Short: "Run a name server (routing: which broker holds which topic)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := opts.logger()
			if err != nil {
				return err
			}
			cfg, err := flags.config(cmd, "")
			if err != nil {
				return err
			}
			srv, err := namesrv.New(cfg, logger)
			if err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			if err := srv.Start(); err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			logger.Info("name server started", "addr", srv.Addr().String(), "version", version)
			shutdownCtx, cancel := waitForSignal(context.Background())
			defer cancel()
			logger.Info("shutting down")
			return srv.Shutdown(shutdownCtx)
		},
	}
	flags.register(cmd, "")
	cmd.Flags().StringVar(&flags.dataDir, "data-dir", "", "directory for the name server's files (KV config); empty keeps them in memory")
	return cmd
}
