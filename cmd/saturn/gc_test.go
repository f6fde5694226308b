package main

import (
	"io"
	"runtime/debug"
	"testing"
)

func TestGCPercent(t *testing.T) {
	tests := []struct {
		name    string
		flag    int
		flagSet bool
		gogc    string
		want    int
		set     bool
	}{
		{"default", defaultGCPercent, false, "", defaultGCPercent, true},
		{"GOGC wins over the default", defaultGCPercent, false, "150", 0, false},
		{"the flag wins over GOGC", 200, true, "150", 200, true},
		{"the flag alone", 100, true, "", 100, true},
		{"off", -1, true, "", -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, set := gcPercent(tc.flag, tc.flagSet, tc.gogc)
			if got != tc.want || set != tc.set {
				t.Errorf("gcPercent(%d, %v, %q) = %d, %v; want %d, %v", tc.flag, tc.flagSet, tc.gogc, got, set, tc.want, tc.set)
			}
		})
	}
	if err := applyGCPercent(-5, true, ""); err == nil {
		t.Error("--gc-percent -5 accepted")
	}
}

// TestGCPercentApplied: every subcommand runs with the GC target set.
func TestGCPercentApplied(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, defaultGCPercent},
		{[]string{"--gc-percent", "250", "version"}, 250},
	} {
		debug.SetGCPercent(100)
		root := newRootCommand()
		root.SetArgs(tc.args)
		root.SetOut(io.Discard)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("%v: GC percent %d, want %d", tc.args, got, tc.want)
		}
	}
}
