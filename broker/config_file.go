package broker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/properties"
)

// LoadConfigFile reads a broker.conf file (Java properties syntax, RocketMQ's
// key names) on top of DefaultConfig and validates the result. Every unknown
// key and invalid value is reported, each with its line number, in one error.
func LoadConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("broker config: %w", err)
	}
	applyErr := cfg.applyProperties(path, data)
	if err := cfg.Validate(); err != nil {
		applyErr = errors.Join(applyErr, fmt.Errorf("broker config %s: %w", path, err))
	}
	return cfg, applyErr
}

// applyProperties applies every entry of a properties text; name is used in
// error messages.
func (c *Config) applyProperties(name string, data []byte) error {
	entries, err := properties.Parse(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("broker config %s: %w", name, err)
	}
	var errs []error
	for _, e := range entries {
		if err := c.Set(e.Key, e.Value); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, e.Line, err))
		}
	}
	return errors.Join(errs...)
}

// parseDeleteWhen parses deleteWhen: hours of the day separated by ';'.
func parseDeleteWhen(v string) ([]int, error) {
	var hours []int
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		h, err := strconv.Atoi(part)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("%q: want hours 00..23 separated by ';'", v)
		}
		hours = append(hours, h)
	}
	if len(hours) == 0 {
		return nil, fmt.Errorf("%q: want hours 00..23 separated by ';'", v)
	}
	return hours, nil
}
