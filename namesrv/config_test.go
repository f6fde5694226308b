package namesrv

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Config
	}{
		{"empty", "", Config{}},
		{
			name: "upstream keys",
			text: `# namesrv.properties
! another comment
listenPort=9877
kvConfigPath = /var/rocketmq/kvConfig.json
orderMessageEnable:TRUE
scanNotActiveBrokerInterval 10000
serverChannelMaxIdleTimeSeconds=60
defaultThreadPoolNums=4
clientRequestThreadPoolNums=2
defaultThreadPoolQueueCapacity=100
clientRequestThreadPoolQueueCapacity=200
rocketmqHome=/opt/rocketmq
serverWorkerThreads=8
`,
			want: Config{
				ListenAddr: ":9877", KVConfigPath: "/var/rocketmq/kvConfig.json", OrderMessageEnable: true,
				ScanInterval: 10 * time.Second, IdleTimeout: 60 * time.Second,
				Workers: 4, ClientWorkers: 2, Queue: 100, ClientQueue: 200,
				Ignored: []string{"rocketmqHome", "serverWorkerThreads"},
			},
		},
		{
			name: "saturn keys, bind address, continuation, escapes",
			text: "bindAddress=127.0.0.1\n  dataDir = /data/\\\n     namesrv\nbrokerChannelExpiredTime=30000\nkvConfigPath=C\\:\\\\kv\\u0041.json\n",
			want: Config{ListenAddr: "127.0.0.1:9876", DataDir: "/data/namesrv", BrokerExpiry: 30 * time.Second, KVConfigPath: `C:\kvA.json`},
		},
		{"all interfaces", "bindAddress=0.0.0.0\nlistenPort=0\n", Config{ListenAddr: ":0"}},
		{"ipv6", "bindAddress=::1\nlistenPort=1\n", Config{ListenAddr: "[::1]:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(strings.NewReader(tc.text), "test.properties")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\n have %+v\n want %+v", got, tc.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	text := `listenPort=99999
# fine
orderMessageEnable=yes
scanNotActiveBrokerInterval=0
brokerChannelExpiredTime=-5
listenPortt=1
defaultThreadPoolNums=lots
`
	_, err := ParseConfig(strings.NewReader(text), "ns.conf")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`ns.conf:1: key "listenPort": value "99999" is not a port number`,
		`ns.conf:3: key "orderMessageEnable": value "yes" is not true or false`,
		`ns.conf:4: key "scanNotActiveBrokerInterval": value "0" is not a positive integer`,
		`ns.conf:5: key "brokerChannelExpiredTime": value "-5" is not a positive integer`,
		`ns.conf:6: unknown key "listenPortt"`,
		`ns.conf:7: key "defaultThreadPoolNums": value "lots" is not a positive integer`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namesrv.properties")
	if err := os.WriteFile(path, []byte("listenPort=19876\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfigFile(path)
	if err != nil || c.ListenAddr != ":19876" {
		t.Errorf("LoadConfigFile = %+v, %v", c, err)
	}
	if _, err := LoadConfigFile(path + ".missing"); err == nil {
		t.Error("missing file loaded")
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ListenAddr: ":9876", BrokerExpiry: 120 * time.Second, ScanInterval: 5 * time.Second,
		IdleTimeout: 120 * time.Second, Workers: 16, Queue: 10000, ClientWorkers: 8, ClientQueue: 50000,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults\n have %+v\n want %+v", c, want)
	}
	c, _ = Config{DataDir: "/d"}.withDefaults()
	if c.KVConfigPath != filepath.Join("/d", "kvConfig.json") {
		t.Errorf("KVConfigPath from DataDir = %q", c.KVConfigPath)
	}
	c, _ = Config{DataDir: "/d", KVConfigPath: "/k.json"}.withDefaults()
	if c.KVConfigPath != "/k.json" {
		t.Errorf("explicit KVConfigPath overridden: %q", c.KVConfigPath)
	}
	for _, bad := range []Config{{BrokerExpiry: -1}, {ScanInterval: -1}, {IdleTimeout: -1}, {MaxFrameSize: -1}, {Workers: -1}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
