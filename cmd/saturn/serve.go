package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/saturnmq/saturn/namesrv"
)

// serveFlags are the settings of `saturn serve`.
type serveFlags struct {
	dataDir string
	ns      namesrvFlags
	broker  brokerFlags
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
			brokerCfg, err := flags.broker.config(cmd, "broker-", filepath.Join(flags.dataDir, "broker"))
			if err != nil {
				return err
			}

			ns, err := namesrv.New(nsCfg, logger.With("role", "namesrv"))
			if err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			if err := ns.Start(); err != nil {
				return fmt.Errorf("name server: %w", err)
			}
			// The in-process broker registers with the in-process name
			// server, plus any others its config names.
			brokerCfg.NamesrvAddrs = append([]string{dialable(ns.Addr())}, brokerCfg.NamesrvAddrs...)
			b, err := startBroker(brokerCfg, opts, "broker")
			if err != nil {
				_ = ns.Shutdown(context.Background())
				return err
			}
			logger.Info("saturn started", "namesrv", ns.Addr().String(), "broker", b.Addr().String(),
				"announced", b.AnnouncedAddr(), "data-dir", flags.dataDir, "version", version)

			shutdownCtx, cancel := waitForSignal(context.Background())
			defer cancel()
			logger.Info("shutting down")
			// Broker first: it unregisters from the name server on the way out.
			return errors.Join(b.Shutdown(shutdownCtx), ns.Shutdown(shutdownCtx))
		},
	}
	cmd.Flags().StringVar(&flags.dataDir, "data-dir", "./data", "directory for all of Saturn's data (name server in namesrv/, broker store in broker/)")
	flags.ns.register(cmd, "namesrv-")
	flags.broker.register(cmd, "broker-")
	return cmd
}

// dialable turns a listen address into one this process can dial: an
// unspecified host (":9876", "[::]:9876") becomes loopback.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		port := 0
		if ok {
			port = tcp.Port
		}
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	return tcp.String()
}
