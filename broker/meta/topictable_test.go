package meta

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func openTopics(t *testing.T, path string) *TopicTable {
	t.Helper()
	tt, err := OpenTopicTable(path)
	if err != nil {
		t.Fatalf("OpenTopicTable: %v", err)
	}
	return tt
}

func topicsPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "config", "topics.json")
}

func TestTopicTablePutGetDelete(t *testing.T) {
	path := topicsPath(t)
	tab := openTopics(t, path)
	if tab.LoadedFrom() != "" || tab.Len() != 0 {
		t.Fatalf("new table: from %q, %d topics", tab.LoadedFrom(), tab.Len())
	}
	v0 := tab.DataVersion()

	c := NewTopicConfig("T1")
	c.ReadQueueNums, c.WriteQueueNums = 4, 4
	c.Attributes = map[string]string{"+message.type": "NORMAL"}
	if err := tab.Put(c); err != nil {
		t.Fatal(err)
	}
	c.Attributes["later"] = "mutation" // must not reach the table
	got, ok := tab.Get("T1")
	if !ok || got.WriteQueueNums != 4 || len(got.Attributes) != 1 {
		t.Fatalf("Get(T1) = %+v, %v", got, ok)
	}
	if v := tab.DataVersion(); v.Counter != v0.Counter+1 {
		t.Errorf("counter %d after one Put, was %d", v.Counter, v0.Counter)
	}
	if err := tab.Put(NewTopicConfig("A0")); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, c := range tab.All() {
		names = append(names, c.TopicName)
	}
	if !reflect.DeepEqual(names, []string{"A0", "T1"}) {
		t.Errorf("All() = %v", names)
	}

	bad := NewTopicConfig("bad name")
	if err := tab.Put(bad); !errors.Is(err, ErrNameIllegal) {
		t.Errorf("Put(bad name) = %v", err)
	}
	badPerm := NewTopicConfig("P")
	badPerm.Perm = 9
	if err := tab.Put(badPerm); err == nil {
		t.Error("Put accepted perm 9")
	}

	if ok, err := tab.Delete("A0"); !ok || err != nil {
		t.Errorf("Delete(A0) = %v, %v", ok, err)
	}
	if ok, err := tab.Delete("A0"); ok || err != nil {
		t.Errorf("second Delete(A0) = %v, %v", ok, err)
	}

	// Reopen: the file holds exactly the table.
	re := openTopics(t, path)
	if re.LoadedFrom() != path {
		t.Errorf("reopened from %q", re.LoadedFrom())
	}
	if !reflect.DeepEqual(re.All(), tab.All()) || re.DataVersion() != tab.DataVersion() {
		t.Errorf("round trip:\n got %+v %+v\nwant %+v %+v", re.All(), re.DataVersion(), tab.All(), tab.DataVersion())
	}
	// .bak holds the state before the last change (A0 still present).
	bak := openTopics(t, path+".bak")
	if _, ok := bak.Get("A0"); !ok {
		t.Error(".bak does not hold the previous state")
	}
}

func TestTopicTableLoadsUpstreamFiles(t *testing.T) {
	tests := []struct {
		name, file string
		want       TopicConfig
		version    DataVersion
	}{
		{
			name:    "4.9 pretty fastjson",
			file:    "{\n\t\"dataVersion\":{\n\t\t\"counter\":3,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"topicConfigTable\":{\n\t\t\"%RETRY%g\":{\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":1,\n\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n\t\t\t\"topicName\":\"%RETRY%g\",\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":1\n\t\t}\n\t}\n}",
			want:    TopicConfig{TopicName: "%RETRY%g", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			version: DataVersion{Counter: 3, Timestamp: 1700000000000},
		},
		{
			name:    "5.x with attributes and stateVersion",
			file:    `{"dataVersion":{"counter":9,"stateVersion":2,"timestamp":5},"topicConfigTable":{"T":{"attributes":{"+message.type":"FIFO"},"order":true,"perm":7,"readQueueNums":8,"topicFilterType":"MULTI_TAG","topicName":"T","topicSysFlag":1,"writeQueueNums":4}}}`,
			want:    TopicConfig{TopicName: "T", ReadQueueNums: 8, WriteQueueNums: 4, Perm: 7, TopicFilterType: "MULTI_TAG", TopicSysFlag: 1, Order: true, Attributes: map[string]string{"+message.type": "FIFO"}},
			version: DataVersion{Counter: 9, StateVersion: 2, Timestamp: 5},
		},
		{
			name:    "missing members take defaults",
			file:    `{"topicConfigTable":{"T":{"topicName":"T"}}}`,
			want:    TopicConfig{TopicName: "T", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			version: DataVersion{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := topicsPath(t)
			writeFile(t, path, tt.file)
			tab := openTopics(t, path)
			got, ok := tab.Get(tt.want.TopicName)
			if !ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get = %+v %v, want %+v", got, ok, tt.want)
			}
			if dv := tab.DataVersion(); tt.version != (DataVersion{}) && dv != tt.version {
				t.Errorf("DataVersion = %+v, want %+v", dv, tt.version)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTopicTableBackupFallback(t *testing.T) {
	good := `{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{"FROM_BAK":{"topicName":"FROM_BAK"}}}`
	main := `{"dataVersion":{"counter":2,"timestamp":2},"topicConfigTable":{"FROM_MAIN":{"topicName":"FROM_MAIN"}}}`
	tests := []struct {
		name      string
		main, bak *string
		wantTopic string
		wantBak   bool
		wantErr   bool
	}{
		{"main good", &main, &good, "FROM_MAIN", false, false},
		{"main corrupt", ptr(`{"topicConfigTable":{"X":`), &good, "FROM_BAK", true, false},
		{"main wrong type", ptr(`{"topicConfigTable":[]}`), &good, "FROM_BAK", true, false},
		{"main empty", ptr(""), &good, "FROM_BAK", true, false},
		{"main missing", nil, &good, "FROM_BAK", true, false},
		{"both missing", nil, nil, "", false, false},
		{"main corrupt, no bak", ptr("garbage"), nil, "", false, true},
		{"both corrupt", ptr("garbage"), ptr("{"), "", false, true},
		{"main missing, bak corrupt", nil, ptr("{"), "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := topicsPath(t)
			if tt.main != nil {
				writeFile(t, path, *tt.main)
			}
			if tt.bak != nil {
				writeFile(t, path+".bak", *tt.bak)
			}
			tab, err := OpenTopicTable(path)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantTopic != "" {
				if _, ok := tab.Get(tt.wantTopic); !ok || tab.Len() != 1 {
					t.Errorf("topics %v, want only %s", tab.All(), tt.wantTopic)
				}
			} else if tab.Len() != 0 {
				t.Errorf("topics %v, want none", tab.All())
			}
			if got := tab.LoadedFrom() == path+".bak"; got != tt.wantBak {
				t.Errorf("LoadedFrom = %q", tab.LoadedFrom())
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestSerializeWrapperJSON(t *testing.T) {
	tab := openTopics(t, topicsPath(t))
	b := NewTopicConfig("b")
	b.ReadQueueNums, b.WriteQueueNums = 2, 2
	b.Attributes = map[string]string{"z": "1", "a": "\"q\""}
	for _, c := range []TopicConfig{b, NewTopicConfig("a")} {
		if err := tab.Put(c); err != nil {
			t.Fatal(err)
		}
	}
	dv := tab.DataVersion()
	got := string(tab.SerializeWrapperJSON())
	want := `{"dataVersion":` + string(dv.AppendJSON(nil)) + `,"topicConfigTable":{` +
		`"a":{"attributes":{},"order":false,"perm":6,"readQueueNums":16,"topicFilterType":"SINGLE_TAG","topicName":"a","topicSysFlag":0,"writeQueueNums":16},` +
		`"b":{"attributes":{"a":"\"q\"","z":"1"},"order":false,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"b","topicSysFlag":0,"writeQueueNums":2}}}`
	if got != want {
		t.Errorf("SerializeWrapperJSON:\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("not valid JSON")
	}
	if !strings.Contains(string(dv.AppendJSON(nil)), `"stateVersion":0`) {
		t.Errorf("data version JSON %s", dv.AppendJSON(nil))
	}
}

func TestCreateFromTemplate(t *testing.T) {
	tests := []struct {
		name       string
		tplPerm    int32
		tplQueues  int32
		noTemplate bool
		existing   bool
		request    int32
		wantErr    error
		wantAnyErr bool
		wantQueues int32
		wantPerm   int32
		created    bool
	}{
		{name: "inherit template, fewer requested", tplPerm: 7, tplQueues: 8, request: 4, wantQueues: 4, wantPerm: 6, created: true},
		{name: "capped by template", tplPerm: 7, tplQueues: 2, request: 4, wantQueues: 2, wantPerm: 6, created: true},
		{name: "read-only inheritable template", tplPerm: PermRead | PermInherit, tplQueues: 8, request: 4, wantQueues: 4, wantPerm: PermRead, created: true},
		{name: "template not inherit", tplPerm: 6, tplQueues: 8, request: 4, wantErr: ErrTemplateNotInherit},
		{name: "template missing", noTemplate: true, request: 4, wantErr: ErrTemplateNotFound},
		{name: "existing topic wins even without template", noTemplate: true, existing: true, request: 4, wantQueues: 3, wantPerm: 6},
		{name: "zero queues requested", tplPerm: 7, tplQueues: 8, request: 0, wantAnyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := openTopics(t, topicsPath(t))
			if !tt.noTemplate {
				tpl := NewTopicConfig("TBW102")
				tpl.Perm, tpl.ReadQueueNums, tpl.WriteQueueNums = tt.tplPerm, tt.tplQueues, tt.tplQueues
				tpl.TopicFilterType = FilterMultiTag
				if err := tab.Put(tpl); err != nil {
					t.Fatal(err)
				}
			}
			if tt.existing {
				e := NewTopicConfig("NEW")
				e.ReadQueueNums, e.WriteQueueNums = 3, 3
				if err := tab.Put(e); err != nil {
					t.Fatal(err)
				}
			}
			before := tab.DataVersion()
			c, created, err := tab.CreateFromTemplate("NEW", "TBW102", tt.request, 0)
			if tt.wantErr != nil || tt.wantAnyErr {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if _, ok := tab.Get("NEW"); ok {
					t.Error("topic created despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.created || c.ReadQueueNums != tt.wantQueues || c.WriteQueueNums != tt.wantQueues || c.Perm != tt.wantPerm {
				t.Errorf("got %+v created=%v", c, created)
			}
			if created {
				if c.TopicFilterType != FilterMultiTag {
					t.Errorf("filter type %q not inherited", c.TopicFilterType)
				}
				if tab.DataVersion().Counter != before.Counter+1 {
					t.Error("data version not bumped")
				}
				if _, ok := openTopics(t, tab.file.path).Get("NEW"); !ok {
					t.Error("created topic not persisted")
				}
			}
		})
	}
}

func TestCreateFromTemplateConcurrentCreatesOnce(t *testing.T) {
	tab := openTopics(t, topicsPath(t))
	if err := tab.EnsureSystemTopics(SystemTopicOptions{ClusterName: "c", BrokerName: "b", AutoCreateTopicEnable: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	creations := 0
	for range 16 {
		wg.Go(func() {
			_, created, err := tab.CreateFromTemplate("RACE", AutoCreateTopicKey, 4, 0)
			if err != nil {
				t.Error(err)
			}
			if created {
				mu.Lock()
				creations++
				mu.Unlock()
			}
			if _, ok := tab.Get("RACE"); !ok {
				t.Error("topic not visible after CreateFromTemplate returned")
			}
		})
	}
	wg.Wait()
	if creations != 1 {
		t.Errorf("%d creations, want 1", creations)
	}
}

func TestEnsureRetryTopic(t *testing.T) {
	tab := openTopics(t, topicsPath(t))
	c, created, err := tab.EnsureRetryTopic(RetryTopic("g"), 1, PermReadWrite)
	if err != nil || !created || c.ReadQueueNums != 1 || c.WriteQueueNums != 1 || c.Perm != 6 {
		t.Fatalf("EnsureRetryTopic = %+v %v %v", c, created, err)
	}
	if _, created, _ := tab.EnsureRetryTopic(RetryTopic("g"), 3, PermReadWrite); created {
		t.Error("second call created again")
	}
	if _, created, err := tab.EnsureRetryTopic(DLQTopic("g"), 1, PermReadWrite); err != nil || !created {
		t.Errorf("DLQ: %v %v", created, err)
	}
	if _, _, err := tab.EnsureRetryTopic("plain", 1, PermReadWrite); err == nil {
		t.Error("created a non-retry topic")
	}
	if _, _, err := tab.EnsureRetryTopic(RetryTopic(strings.Repeat("g", 121)), 1, PermReadWrite); !errors.Is(err, ErrNameTooLong) {
		t.Errorf("over-long retry topic: %v", err)
	}
}

func TestEnsureSystemTopics(t *testing.T) {
	path := topicsPath(t)
	tab := openTopics(t, path)
	opts := SystemTopicOptions{ClusterName: "DefaultCluster", BrokerName: "broker-a", AutoCreateTopicEnable: true,
		ClusterTopicEnable: true, BrokerTopicEnable: true}
	if err := tab.EnsureSystemTopics(opts); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ queues, perm int32 }{
		"TBW102":                      {8, 7},
		"SELF_TEST_TOPIC":             {1, 6},
		"BenchmarkTest":               {1024, 6},
		"DefaultCluster":              {16, 7},
		"broker-a":                    {1, 7},
		"OFFSET_MOVED_EVENT":          {1, 6},
		"SCHEDULE_TOPIC_XXXX":         {18, 6},
		"DefaultCluster_REPLY_TOPIC":  {1, 6},
		"RMQ_SYS_TRANS_HALF_TOPIC":    {1, 6},
		"RMQ_SYS_TRANS_OP_HALF_TOPIC": {1, 6},
	}
	if tab.Len() != len(want) {
		t.Errorf("%d topics, want %d: %v", tab.Len(), len(want), tab.All())
	}
	for name, w := range want {
		c, ok := tab.Get(name)
		if !ok || c.ReadQueueNums != w.queues || c.WriteQueueNums != w.queues || c.Perm != w.perm {
			t.Errorf("%s = %+v %v, want %d queues perm %d", name, c, ok, w.queues, w.perm)
		}
		if !tab.IsSystemTopic(name) {
			t.Errorf("IsSystemTopic(%s) = false", name)
		}
	}
	if tab.IsSystemTopic("TopicTest") {
		t.Error("IsSystemTopic(TopicTest) = true")
	}

	// A second call changes nothing and keeps operator edits.
	sched, _ := tab.Get(ScheduleTopic)
	sched.Perm = PermRead
	if err := tab.Put(sched); err != nil {
		t.Fatal(err)
	}
	v := tab.DataVersion()
	if err := tab.EnsureSystemTopics(opts); err != nil {
		t.Fatal(err)
	}
	if tab.DataVersion() != v {
		t.Error("idempotent call bumped the data version")
	}
	if c, _ := tab.Get(ScheduleTopic); c.Perm != PermRead {
		t.Error("operator edit overwritten")
	}

	// Auto-creation off (after a restart): TBW102 is removed; options add
	// the trace, revive and timer topics; cluster/broker topics keep their perm.
	tab = openTopics(t, path)
	opts.AutoCreateTopicEnable = false
	opts.TraceTopicEnable, opts.PopEnable, opts.TimerWheelEnable = true, true, true
	if err := tab.EnsureSystemTopics(opts); err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Get(AutoCreateTopicKey); ok {
		t.Error("TBW102 kept with auto-creation disabled")
	}
	for _, name := range []string{"RMQ_SYS_TRACE_TOPIC", "rmq_sys_REVIVE_LOG_DefaultCluster", "rmq_sys_wheel_timer"} {
		if _, ok := tab.Get(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
	if c, _ := tab.Get("rmq_sys_REVIVE_LOG_DefaultCluster"); c.WriteQueueNums != 8 {
		t.Errorf("revive topic has %d queues", c.WriteQueueNums)
	}
	if _, _, err := tab.CreateFromTemplate("NEW", AutoCreateTopicKey, 4, 0); !errors.Is(err, ErrTemplateNotFound) {
		t.Errorf("auto-create with TBW102 removed: %v", err)
	}
	if _, ok := openTopics(t, path).Get(AutoCreateTopicKey); ok {
		t.Error("TBW102 removal not persisted")
	}

	// Disabled cluster/broker topics are INHERIT only.
	fresh := openTopics(t, topicsPath(t))
	if err := fresh.EnsureSystemTopics(SystemTopicOptions{ClusterName: "c", BrokerName: "b"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c", "b"} {
		if c, _ := fresh.Get(name); c.Perm != PermInherit {
			t.Errorf("%s perm %d, want 1", name, c.Perm)
		}
	}
	if err := fresh.EnsureSystemTopics(SystemTopicOptions{ClusterName: "c"}); err == nil {
		t.Error("missing broker name accepted")
	}
}

func TestTopicTableConcurrentUse(t *testing.T) {
	tab := openTopics(t, topicsPath(t))
	if err := tab.EnsureSystemTopics(SystemTopicOptions{ClusterName: "c", BrokerName: "b", AutoCreateTopicEnable: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				name := "T" + string(rune('a'+w)) + string(rune('a'+i))
				if _, _, err := tab.CreateFromTemplate(name, AutoCreateTopicKey, 4, 0); err != nil {
					t.Error(err)
				}
				tab.Get(name)
				_ = tab.SerializeWrapperJSON()
				if i%5 == 0 {
					if _, err := tab.Delete(name); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	re := openTopics(t, tab.file.path)
	if !reflect.DeepEqual(re.All(), tab.All()) {
		t.Error("file does not match memory after concurrent changes")
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	tab := openTopics(t, topicsPath(t))
	if err := tab.Put(NewTopicConfig("HOT")); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := tab.Get("HOT"); !ok {
			t.Fatal("missing")
		}
	})
	if allocs != 0 {
		t.Errorf("Get allocates %.1f times", allocs)
	}
}

func BenchmarkTopicGet(b *testing.B) {
	tab, err := OpenTopicTable(filepath.Join(b.TempDir(), "topics.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := tab.Put(NewTopicConfig("HOT")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tab.Get("HOT")
		}
	})
}
