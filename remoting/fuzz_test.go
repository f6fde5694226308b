package remoting

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// FuzzDecode feeds arbitrary frames (the bytes after the length prefix) to
// Decode. It checks that Decode never panics; that whatever it accepts encodes
// and decodes back to the same command; that every JSON header it accepts is
// valid JSON; and that every JSON header the standard library reads as a
// well-typed header is accepted with the same values.
func FuzzDecode(f *testing.F) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for _, c := range roundTripCommands() {
			c.Serialize = st
			frame, err := Encode(nil, c)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(frame[4:])
		}
	}
	for _, h := range []string{
		`{"code":310,"extFields":{"a":"pg","i":"KEYS\u0001k\u0002"},"flag":0,"language":"JAVA","opaque":57,"serializeTypeCurrentRPC":"JSON","version":479}`,
		`{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"TopicTest"}}`,
		` {"x":[1,-2.5e+3,{"y":[true,false,null,"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]}],"code":"34","language":9,"remark":null} `,
	} {
		f.Add(jsonFrame(h, "body"))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		c, err := Decode(frame)
		var header []byte
		if len(frame) >= 4 && frame[0] == 0 {
			if hl := int(frame[1])<<16 | int(frame[2])<<8 | int(frame[3]); hl <= len(frame)-4 {
				header = frame[4 : 4+hl]
			}
		}
		if header != nil {
			checkAgainstEncodingJSON(t, header, c, err)
		}
		checkFieldsMode(t, frame, c, err)
		if err != nil {
			return
		}
		again, err := Encode(nil, c)
		if err != nil {
			t.Fatalf("cannot encode decoded %v: %v", c, err)
		}
		c2, err := Decode(again[4:])
		if err != nil {
			t.Fatalf("cannot decode re-encoded %v: %v", c, err)
		}
		assertSameCommand(t, c2, c)
	})
}

// checkFieldsMode decodes frame with the custom header going to Fields and
// checks that it agrees with the map decode (ours, ourErr): same verdict,
// same fields once folded into a map, and that the list encodes to the same
// header as the map.
func checkFieldsMode(t *testing.T, frame []byte, ours *Command, ourErr error) {
	t.Helper()
	c, err := decodeFrame(frame, nil, func(*Command) bool { return true })
	if (err == nil) != (ourErr == nil) {
		t.Fatalf("fields mode error %v, map mode error %v", err, ourErr)
	}
	if err != nil {
		return
	}
	if c.ExtFields != nil {
		t.Fatalf("fields mode filled ExtFields: %v", c)
	}
	// The server decodes into pooled lists that earlier requests used:
	// the same fields must come out.
	pool := &extPool{}
	if old, box := pool.getFields(2); box != nil {
		pool.release(&Command{Fields: append(old, ExtField{"stale", "x"}), fieldsBox: box})
	}
	pooled, err := decodeFrame(frame, pool, func(*Command) bool { return true })
	if err != nil || !slices.Equal(pooled.Fields, c.Fields) {
		t.Fatalf("pooled fields %v (%v), want %v", pooled, err, c.Fields)
	}
	if (c.Fields == nil) != (ours.ExtFields == nil) || !maps.Equal(fieldsMap(c.Fields), ours.ExtFields) {
		t.Fatalf("fields %v, map %v", c.Fields, ours.ExtFields)
	}
	folded := *c
	folded.Fields, folded.ExtFields = nil, fieldsMap(c.Fields)
	assertSameCommand(t, &folded, ours)
	frameOfList, err := Encode(nil, c)
	if err != nil {
		t.Fatalf("cannot encode fields of %v: %v", c, err)
	}
	back, err := Decode(frameOfList[4:])
	if err != nil {
		t.Fatalf("cannot decode encoded fields of %v: %v", c, err)
	}
	assertSameCommand(t, back, ours)
}

// fieldsMap folds a field list into a map, later duplicates winning.
func fieldsMap(fs []ExtField) map[string]string {
	if fs == nil {
		return nil
	}
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.Key] = f.Value
	}
	return m
}

// checkAgainstEncodingJSON compares the decoder with encoding/json on a JSON
// header. ours and ourErr are Decode's results for the frame.
func checkAgainstEncodingJSON(t *testing.T, header []byte, ours *Command, ourErr error) {
	t.Helper()
	valid := json.Valid(header)
	if ourErr == nil && !valid {
		t.Fatalf("accepted invalid JSON header %q", header)
	}
	if !valid || bytes.Count(header, []byte("["))+bytes.Count(header, []byte("{")) > maxJSONDepth-10 {
		return
	}
	want, ok := stdDecodeHeader(header)
	if !ok {
		return // not a well-typed header for encoding/json; tolerance is ours to choose
	}
	if ourErr != nil {
		t.Fatalf("rejected header %q that encoding/json reads as %v: %v", header, want, ourErr)
	}
	if ours.Code != want.Code || ours.Flag != want.Flag || ours.Opaque != want.Opaque ||
		ours.Version != want.Version || ours.Language != want.Language || ours.Remark != want.Remark ||
		!maps.Equal(ours.ExtFields, want.ExtFields) || (ours.ExtFields == nil) != (want.ExtFields == nil) {
		t.Fatalf("header %q:\nours     %v\nencoding/json %v", header, ours, want)
	}
}

// stdDecodeHeader decodes a header with encoding/json, with exact member names
// (last duplicate wins), or reports that it is not a well-typed header.
func stdDecodeHeader(header []byte) (Command, bool) {
	var c Command
	var members map[string]json.RawMessage
	if json.Unmarshal(header, &members) != nil || hasDuplicateMembers(header) {
		// With duplicates, a map keeps the last value even when it is null,
		// while a struct (and our decoder) keeps the earlier value:
		// ambiguous input, not compared.
		return c, false
	}
	ints := map[string]*int32{"code": &c.Code, "flag": &c.Flag, "opaque": &c.Opaque, "version": &c.Version}
	for name, dst := range ints {
		if raw, ok := members[name]; ok && json.Unmarshal(raw, dst) != nil {
			return c, false
		}
	}
	if raw, ok := members["language"]; ok {
		var name *string
		if json.Unmarshal(raw, &name) != nil {
			return c, false
		}
		if name != nil {
			c.Language = languageByName(*name)
		}
	}
	if raw, ok := members["remark"]; ok {
		var r *string
		if json.Unmarshal(raw, &r) != nil {
			return c, false
		}
		if r != nil {
			c.Remark = *r
		}
	}
	if raw, ok := members["extFields"]; ok {
		var ext map[string]*string
		if json.Unmarshal(raw, &ext) != nil {
			return c, false
		}
		if ext != nil {
			c.ExtFields = map[string]string{}
			for k, v := range ext {
				if v != nil {
					c.ExtFields[k] = *v
				}
			}
		}
	}
	return c, true
}

// hasDuplicateMembers reports whether the top-level object of a valid JSON
// text has a member name twice.
func hasDuplicateMembers(text []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(text))
	seen := map[string]bool{}
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				expectKey = depth == 1 && v == '{'
				continue
			}
			depth--
		case string:
			if depth == 1 && expectKey {
				if seen[v] {
					return true
				}
				seen[v] = true
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true // a top-level value ended: a key comes next
		}
	}
}
