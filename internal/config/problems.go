package config

import (
	"fmt"
	"strings"
)

// Fault is what is wrong with a value and what to do about it.
type Fault struct {
	Message string // what is wrong, e.g. "is not set"
	Hint    string // what to do
}

func fault(msg, hint string) *Fault { return &Fault{msg, hint} }

// Problem is one invalid or missing setting.
type Problem struct {
	Env, Flag string
	Fault
}

func (p Problem) Error() string {
	name := p.Env
	if p.Flag != "" {
		name += " (--" + p.Flag + ")"
	}
	s := name + ": " + p.Message
	if p.Hint != "" {
		s += ": " + p.Hint
	}
	return s
}

// Problems is every problem of a configuration.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	if len(ps) == 1 {
		return "configuration: " + lines[0]
	}
	return fmt.Sprintf("configuration has %d problems:\n  %s", len(ps), strings.Join(lines, "\n  "))
}
