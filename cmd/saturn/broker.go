package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saturnmq/saturn/broker"
)

// brokerEnvPrefix starts environment variables that set broker.conf keys:
// SATURN_BROKER_flushDiskType=SYNC_FLUSH sets flushDiskType.
const brokerEnvPrefix = "SATURN_BROKER_"

// brokerFlags are the command-line settings of a broker. Precedence, lowest
// first: defaults, config file, environment, flags.
type brokerFlags struct {
	configFile string
	listen     string
	namesrv    string
	sets       []string
}

func (f *brokerFlags) register(cmd *cobra.Command, prefix string) {
	cmd.Flags().StringVar(&f.configFile, prefix+"config", "", "broker config file; accepts RocketMQ's broker.conf keys")
	cmd.Flags().StringVar(&f.listen, prefix+"listen", ":10911", "broker listen address (host:port; empty host = every interface)")
	cmd.Flags().StringArrayVar(&f.sets, prefix+"set", nil, "set one broker.conf key, as key=value (repeatable), e.g. --"+prefix+"set flushDiskType=SYNC_FLUSH")
}

// config builds the broker config. dataDir, when not empty, becomes
// storePathRootDir unless the file or a --set names one.
func (f *brokerFlags) config(cmd *cobra.Command, prefix, dataDir string) (broker.Config, error) {
	cfg := broker.DefaultConfig()
	if dataDir != "" {
		cfg.StorePathRootDir = dataDir
	}
	if f.configFile != "" {
		loaded, err := loadBrokerFile(f.configFile, dataDir)
		if err != nil {
			return cfg, err
		}
		cfg = loaded
	}
	if v, ok := os.LookupEnv("NAMESRV_ADDR"); ok && v != "" {
		if err := cfg.Set("namesrvAddr", v); err != nil {
			return cfg, fmt.Errorf("NAMESRV_ADDR: %w", err)
		}
	}
	for _, kv := range os.Environ() {
		key, val, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(key, brokerEnvPrefix); ok {
			if err := cfg.Set(name, val); err != nil {
				return cfg, fmt.Errorf("environment %s: %w", key, err)
			}
		}
	}
	if cmd.Flags().Changed(prefix+"listen") || f.configFile == "" {
		host, port, err := splitListen(f.listen)
		if err != nil {
			return cfg, fmt.Errorf("--%slisten: %w", prefix, err)
		}
		cfg.ListenHost, cfg.ListenPort = host, port
	}
	if f.namesrv != "" {
		if err := cfg.Set("namesrvAddr", f.namesrv); err != nil {
			return cfg, fmt.Errorf("--namesrv-addr: %w", err)
		}
	}
	for _, kv := range f.sets {
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			return cfg, fmt.Errorf("--%sset %q: want key=value", prefix, kv)
		}
		if err := cfg.Set(strings.TrimSpace(key), strings.TrimSpace(val)); err != nil {
			return cfg, fmt.Errorf("--%sset %s: %w", prefix, key, err)
		}
	}
	return cfg, nil
}

// loadBrokerFile reads a broker.conf; a store path given by --data-dir is the
// default that the file may override.
func loadBrokerFile(path, dataDir string) (broker.Config, error) {
	cfg, err := broker.LoadConfigFile(path)
	if err != nil {
		return cfg, err
	}
	if dataDir != "" && cfg.StorePathRootDir == broker.DefaultConfig().StorePathRootDir {
		cfg.StorePathRootDir = dataDir
	}
	return cfg, nil
}

// splitListen parses "host:port", ":port" or "port".
func splitListen(s string) (string, int, error) {
	if !strings.Contains(s, ":") {
		s = ":" + s
	}
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q: want 0-65535", portText)
	}
	return host, port, nil
}

// startBroker creates and starts a broker.
func startBroker(cfg broker.Config, opts *globalOptions, role string) (*broker.Broker, error) {
	logger, err := opts.logger()
	if err != nil {
		return nil, err
	}
	if role != "" {
		logger = logger.With("role", role)
	}
	b, err := broker.New(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := b.Start(); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return b, nil
}

func newBrokerCommand(opts *globalOptions) *cobra.Command {
	flags := &brokerFlags{}
	var dataDir string
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a broker (stores messages, serves producers and consumers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := opts.logger()
			if err != nil {
				return err
			}
			cfg, err := flags.config(cmd, "", dataDir)
			if err != nil {
				return err
			}
			b, err := startBroker(cfg, opts, "")
			if err != nil {
				return err
			}
			logger.Info("broker started", "addr", b.Addr().String(), "announced", b.AnnouncedAddr(),
				"namesrv", strings.Join(cfg.NamesrvAddrs, ";"), "version", version)
			shutdownCtx, cancel := waitForSignal(context.Background())
			defer cancel()
			logger.Info("shutting down")
			return b.Shutdown(shutdownCtx)
		},
	}
	flags.register(cmd, "")
	cmd.Flags().StringVar(&flags.namesrv, "namesrv-addr", "", "name servers to register with, host:port;host:port (env NAMESRV_ADDR)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "store directory (storePathRootDir; default $HOME/store)")
	return cmd
}
