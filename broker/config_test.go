package broker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFileRocketMQKeys(t *testing.T) {
	dir := t.TempDir()
	path := writeConf(t, `# a broker.conf as RocketMQ ships it
brokerClusterName = MyCluster
brokerName = broker-b
brokerId = 0
deleteWhen = 01;04
fileReservedTime = 48
brokerRole = ASYNC_MASTER
flushDiskType = SYNC_FLUSH
namesrvAddr=10.0.0.1:9876;10.0.0.2:9876
listenPort: 10921
storePathRootDir `+dir+`
storePathCommitLog=`+filepath.Join(dir, "commitlog")+`
autoCreateTopicEnable=false
maxMessageSize=1048576
mapedFileSizeCommitLog=67108864
haListenPort=10912
brokerIP1=192.168.1.5
syncFlushTimeout=2000
! another comment style
defaultTopicQueueNums = \
    4
`)
	cfg, err := LoadConfigFile(path)
	if err != nil {
		t.Fatalf("LoadConfigFile: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"cluster", cfg.BrokerClusterName, "MyCluster"},
		{"name", cfg.BrokerName, "broker-b"},
		{"deleteWhen", cfg.DeleteWhen, "01;04"},
		{"fileReservedTime", cfg.FileReservedTime, 48 * time.Hour},
		{"flushDiskType", cfg.FlushDiskType, SyncFlush},
		{"namesrv", strings.Join(cfg.NamesrvAddrs, ","), "10.0.0.1:9876,10.0.0.2:9876"},
		{"listenPort", cfg.ListenPort, 10921},
		{"root", cfg.StorePathRootDir, dir},
		{"autoCreate", cfg.AutoCreateTopicEnable, false},
		{"maxMessageSize", cfg.MaxMessageSize, 1 << 20},
		{"segment", cfg.MappedFileSizeCommitLog, int64(64 << 20)},
		{"ip", cfg.BrokerIP1, "192.168.1.5"},
		{"syncFlushTimeout", cfg.SyncFlushTimeout, 2 * time.Second},
		{"continuation", cfg.DefaultTopicQueueNums, 4},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !slices.Contains(cfg.ignored, "haListenPort") || !slices.Contains(cfg.ignored, "brokerRole") {
		t.Errorf("ignored keys = %v, want haListenPort and brokerRole", cfg.ignored)
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings of the error
	}{
		{"unknown key", "brokerName=b\nfooBar=1\n", []string{":2:", `unknown key "fooBar"`}},
		{"wrong case suggests", "brokername=b\n", []string{`did you mean "brokerName"`}},
		{"bad int", "listenPort=abc\n", []string{":1:", "listenPort", `"abc" is not an integer`}},
		{"bad bool", "autoCreateTopicEnable=yes\n", []string{"autoCreateTopicEnable", "want true or false"}},
		{"bad flush type", "flushDiskType=SOMETIMES\n", []string{"ASYNC_FLUSH or SYNC_FLUSH"}},
		{"slave", "brokerRole=SLAVE\n", []string{"brokerRole=SLAVE", "stand-alone masters"}},
		{"slave id", "brokerId=1\n", []string{"brokerId", "must be 0"}},
		{"acl", "aclEnable=true\n", []string{"ACL is not supported"}},
		{"bad deleteWhen", "deleteWhen=25\n", []string{"deleteWhen"}},
		{"commit log elsewhere", "storePathRootDir=/a\nstorePathCommitLog=/b/commitlog\n", []string{"storePathCommitLog=/b/commitlog"}},
		{"several at once", "x=1\ny=2\nlistenPort=70000\n", []string{`"x"`, `"y"`, "listenPort"}},
		{"bad broker name", "brokerName=a b\n", []string{"brokerName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfigFile(writeConf(t, tt.text))
			if err == nil {
				t.Fatal("LoadConfigFile succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigFileMissing(t *testing.T) {
	if _, err := LoadConfigFile(filepath.Join(t.TempDir(), "nope.conf")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	if cfg.ListenPort != 10911 || cfg.FlushDiskType != AsyncFlush || !cfg.AutoCreateTopicEnable {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
}

func TestConfigSetRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	for _, k := range ConfigKeys() {
		v := configKeys[k].get(&cfg)
		if err := cfg.Set(k, v); err != nil {
			t.Errorf("Set(%q, %q) of its own value: %v", k, v, err)
		}
	}
	props := cfg.properties()
	if !strings.Contains(props, "brokerClusterName=DefaultCluster\n") {
		t.Errorf("properties() lacks the cluster name:\n%s", props)
	}
}
