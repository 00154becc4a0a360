package postgres

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lockstep-id/lockstep/storage"
)

// Every method of the store that reaches the server says storage.ErrUnavailable
// when the server cannot be reached, so that the pages answer 503 "try again
// shortly" and the APIs temporarily_unavailable, never 500 (an outage under load,
// e2e/cluster, found methods that did not).
func TestEveryMethodSaysUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg, err := pgxpool.ParseConfig("postgres://postgres@" + addr + "/lockstep?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := &Store{pool: pool}

	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	iface := reflect.TypeFor[storage.Storage]()
	v := reflect.ValueOf(s)
	checked := 0
	for i := range iface.NumMethod() {
		m := iface.Method(i)
		ft := m.Type
		if ft.NumIn() == 0 || ft.In(0) != ctxType || ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != errType {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			args := []reflect.Value{reflect.ValueOf(context.Background())}
			for j := 1; j < ft.NumIn(); j++ {
				args = append(args, zeroArg(ft.In(j)))
			}
			call := v.MethodByName(m.Name).Call
			if ft.IsVariadic() {
				call = v.MethodByName(m.Name).CallSlice
			}
			out := call(args)
			err, _ := out[len(out)-1].Interface().(error)
			if err == nil || errors.Is(err, storage.ErrInvalid) {
				return // refused or done before any round trip
			}
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("%s with the server down: %v, want storage.ErrUnavailable", m.Name, err)
			}
			if strings.Contains(err.Error(), "unavailable: storage: unavailable") {
				t.Errorf("%s wraps twice: %v", m.Name, err)
			}
		})
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d methods checked", checked)
	}
}

// zeroArg is an argument of type t with something in it, so that methods that
// skip empty input still reach the server: one zero element for slices, a
// non-empty string, zero values otherwise.
func zeroArg(t reflect.Type) reflect.Value {
	// A logo's owner kind is checked before any round trip: give a real one.
	switch t {
	case reflect.TypeFor[storage.LogoOwner]():
		return reflect.ValueOf(storage.LogoClient)
	case reflect.TypeFor[storage.Logo]():
		return reflect.ValueOf(storage.Logo{Owner: storage.LogoClient, OwnerID: "x"})
	}
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf("x").Convert(t)
	case reflect.Slice:
		s := reflect.MakeSlice(t, 1, 1)
		s.Index(0).Set(zeroArg(t.Elem()))
		return s
	case reflect.Pointer:
		return reflect.New(t.Elem())
	}
	return reflect.Zero(t)
}
